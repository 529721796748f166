package io.zkgate.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.gateway.balancer.Endpoint;
import io.zkgate.gateway.routing.ServicePool;
import io.zkgate.gateway.scripting.LuaFixture;
import io.zkgate.gateway.support.GatewayFixture;
import io.zkgate.gateway.support.Http;
import io.zkgate.gateway.support.RefusedPort;
import io.zkgate.gateway.support.WebSocketBackend;
import io.zkgate.gateway.support.WebSocketMessages;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * WebSocket through the gateway with the JDK's own client against a real Jetty WebSocket server: the handshake is
 * routed and balanced like a request, the backend's first frame (sent with its 101) arrives, text of any size goes
 * both ways, a refused handshake reaches the client with the backend's status, and a route's Lua script runs on it.
 */
class WebSocketEndToEndTest {
    private static final HttpClient CLIENT = HttpClient.newHttpClient();
    @AutoClose
    private static GatewayFixture f;
    private static WebSocketBackend backend;

    @BeforeAll
    static void start() throws Exception {
        f = new GatewayFixture();
        backend = f.closeLater(WebSocketBackend.start("ws-a"));
        f.writer.register("ws", "a", backend.port(), 1);
        f.writer.putRoute("ws", "{\"id\":\"ws\",\"match\":{\"pathPrefix\":\"/ws\"},\"service\":\"ws\",\"stripPrefix\":true}");
        awaitServing("ws", 1);
    }

    @Test
    void aWebSocketIsTunnelledToTheRoutedBackendBothWays() throws Exception {
        WebSocketMessages messages = new WebSocketMessages();
        WebSocket ws = open("/ws/chat?room=1", messages);
        assertEquals("hello from ws-a", messages.next(), "the backend's greeting, sent right after its 101");
        await().atMost(Duration.ofSeconds(10)).until(() -> tunnelsOpen() == 1.0);
        assertTrue(Http.metric(f.adminPort(), "zkgate_requests_total{route=\"ws\",method=\"GET\",status=\"1xx\"}")
                >= 1.0, "the handshake is counted as the route's request");
        assertTrue(Http.metric(f.adminPort(), "zkgate_request_duration_seconds{route=\"ws\",quantile=\"0.99\"}")
                > 0.0, "with the time it took");
        assertEquals("/chat?room=1 for 127.0.0.1", backend.lastHandshake(), "path stripped, query kept, forwarded for");

        ws.sendText("ping", true).get(10, TimeUnit.SECONDS);
        assertEquals("ws-a: ping", messages.next());
        String big = "x".repeat(60_000); // under the backend's 64 KB message limit, over many 4 KB tunnel reads
        ws.sendText(big, true).get(10, TimeUnit.SECONDS);
        assertEquals("ws-a: " + big, messages.next(), "a 60 KB message crosses the tunnel intact");

        ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(10, TimeUnit.SECONDS);
        assertEquals(Integer.valueOf(WebSocket.NORMAL_CLOSURE), messages.closed.poll(10, TimeUnit.SECONDS));
        await().atMost(Duration.ofSeconds(10)).until(() -> tunnelsOpen() == 0.0);
    }

    @Test
    void aHandshakeTheBackendRefusesReachesTheClientWithTheBackendsStatus() throws Exception {
        assertEquals(403, handshakeStatus("/ws/refuse"));
    }

    @Test
    void aHandshakeForAServiceWithNoInstancesIsAnswered503() throws Exception {
        f.writer.putRoute("ws-none", "{\"id\":\"ws-none\",\"match\":{\"pathPrefix\":\"/ws-none\"},\"service\":\"nobody\"}");
        await().atMost(Duration.ofSeconds(10)).until(() -> Http.get(f.port(), "/ws-none/").statusCode() == 503);
        assertEquals(503, handshakeStatus("/ws-none/x"));
    }

    @Test
    void aRoutesLuaScriptRunsOnTheHandshakeTheApiKeyExampleRefusesOrPassesIt() throws Exception {
        f.writer.putRaw("/zkgate/scripts/api-key", LuaFixture.example("api-key.lua"));
        f.writer.putRoute("ws-key", "{\"id\":\"ws-key\",\"match\":{\"pathPrefix\":\"/ws-key\"},\"service\":\"ws\","
                + "\"script\":\"api-key\"}");
        await().atMost(Duration.ofSeconds(10)).until(() -> Http.get(f.port(), "/ws-key/").statusCode() == 401);
        assertEquals(401, handshakeStatus("/ws-key/x"), "no key: the script answers, no backend sees it");

        WebSocketMessages messages = new WebSocketMessages();
        WebSocket ws = open("/ws-key/x", messages, "X-Api-Key", "k-7f3c9a12e4");
        assertEquals("hello from ws-a", messages.next());
        assertEquals("X-Api-Client=mobile-app X-Api-Key=null", backend.lastApiHeaders(),
                "the script's header edits reach the backend's handshake");
        ws.abort();
    }

    @Test
    void aConsistentHashRouteKeepsEachUsersSocketsOnOneBackend() throws Exception {
        serveTwoBackends("wsh", "{\"policy\":\"consistent_hash\",\"hashKey\":\"header:X-User\"}");
        Map<String, String> first = new HashMap<>();
        for (int round = 0; round < 2; round++) {
            for (int u = 0; u < 20; u++) {
                WebSocketMessages messages = new WebSocketMessages();
                WebSocket ws = open("/wsh/", messages, "X-User", "user-" + u);
                String greeting = messages.next();
                String previous = first.putIfAbsent("user-" + u, greeting);
                if (previous != null) {
                    assertEquals(previous, greeting, "user-" + u + " lands on the same backend again");
                }
                ws.abort();
            }
        }
        assertEquals(2, new HashSet<>(first.values()).size(), "20 users spread over both backends");
    }

    @Test
    void anOpenSocketCountsAsInFlightSoLeastRequestSendsTheNextToTheOtherBackend() throws Exception {
        serveTwoBackends("wsl", "{\"policy\":\"least_request\"}");
        WebSocketMessages first = new WebSocketMessages();
        WebSocket a = open("/wsl/", first);
        String busy = first.next();
        for (int i = 0; i < 5; i++) {
            WebSocketMessages next = new WebSocketMessages();
            WebSocket b = open("/wsl/", next);
            assertTrue(!next.next().equals(busy), "a new socket avoids the backend already holding one");
            b.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(10, TimeUnit.SECONDS);
            next.closed.poll(10, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(10)).until(() -> inFlight("wsl") == 1);
        }
        a.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(10, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(10)).until(() -> inFlight("wsl") == 0);
    }

    /** WebSocket backends {@code service-1} and {@code -2} in {@code service}, routed on its prefix with {@code lb}. */
    private static void serveTwoBackends(String service, String lb) throws Exception {
        for (String id : new String[] {"1", "2"}) {
            f.writer.register(service, id, f.closeLater(WebSocketBackend.start(service + "-" + id)).port(), 1);
        }
        f.writer.putRoute(service, "{\"id\":\"" + service + "\",\"match\":{\"pathPrefix\":\"/" + service
                + "\"},\"service\":\"" + service + "\",\"lb\":" + lb + "}");
        awaitServing(service, 2);
    }

    private static int inFlight(String service) {
        int n = 0;
        for (Endpoint e : f.gateway.snapshots().current().services().get(service).all()) {
            n += e.inFlight();
        }
        return n;
    }

    @Test
    void aHandshakeToABackendThatRefusesConnectionsIsRetriedOnAnother() throws Exception {
        WebSocketBackend live = f.closeLater(WebSocketBackend.start("wsr-live"));
        f.writer.register("wsr", "dead", f.closeLater(new RefusedPort()).port(), 1);
        f.writer.register("wsr", "live", live.port(), 1);
        f.writer.putRoute("wsr", "{\"id\":\"wsr\",\"match\":{\"pathPrefix\":\"/wsr\"},\"service\":\"wsr\"}");
        awaitServing("wsr", 2);
        for (int i = 0; i < 6; i++) {
            WebSocketMessages messages = new WebSocketMessages();
            WebSocket ws = open("/wsr/", messages);
            assertEquals("hello from wsr-live", messages.next(), "handshake " + i);
            ws.abort();
        }
    }

    private static double tunnelsOpen() {
        Double v = Http.metric(f.adminPort(), "zkgate_websocket_tunnels_open");
        return v == null ? -1 : v;
    }

    /** Opens a WebSocket through the gateway, with extra handshake headers as name, value, ...; waits for the 101. */
    private static WebSocket open(String path, WebSocketMessages messages, String... headers) throws Exception {
        WebSocket.Builder builder = CLIENT.newWebSocketBuilder();
        for (int i = 0; i + 1 < headers.length; i += 2) {
            builder.header(headers[i], headers[i + 1]);
        }
        return builder.buildAsync(URI.create("ws://127.0.0.1:" + f.port() + path), messages).get(10, TimeUnit.SECONDS);
    }

    /** Waits until route {@code id} is applied and its service (same name) has {@code backends} routable. */
    private static void awaitServing(String id, int backends) {
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            ServicePool pool = f.gateway.snapshots().current().services().get(id);
            return pool != null && pool.routable().length == backends
                    && f.gateway.snapshots().current().routes().entries().stream().anyMatch(e -> e.id().equals(id));
        });
    }

    private static int handshakeStatus(String path) throws Exception {
        try {
            open(path, new WebSocketMessages()).abort();
            return 101;
        } catch (ExecutionException e) {
            return assertInstanceOf(WebSocketHandshakeException.class, e.getCause()).getResponse().statusCode();
        }
    }

    /** Collects whole text messages and the close code. */
}
