package io.zkgate.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.zkgate.gateway.support.GatewayFixture;
import io.zkgate.gateway.support.Http;
import io.zkgate.gateway.support.RawHttp;
import io.zkgate.gateway.support.RefusedPort;
import io.zkgate.gateway.support.StreamingBackend;
import io.zkgate.gateway.support.TestBackend;
import io.zkgate.gateway.support.WebSocketBackend;
import java.io.InputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code maxInFlight} through the real gateway on a real ZooKeeper: exactly N requests run at once, the next is
 * answered 503 {@code overloaded} at once, and every way a request can end gives its place back (answered, backend
 * down, backend silent, client gone before or during the response, script answer, WebSocket upgrade), so the count
 * returns to zero and the route serves again.
 */
class ConcurrencyCapEndToEndTest {
    private static void serve(GatewayFixture f, String id, String service, String extra) throws Exception {
        f.writer.putRoute(id, "{\"id\":\"" + id + "\",\"match\":{\"pathPrefix\":\"/" + id + "\"},\"service\":\""
                + service + "\"," + extra + "}");
        await().atMost(Duration.ofSeconds(10)).until(() -> limits(f, id) != null);
    }

    private static JsonNode limits(GatewayFixture f, String id) {
        for (JsonNode r : Http.json(f.adminPort(), "/admin/routes").get("routes")) {
            if (r.get("id").asText().equals(id)) {
                return r.get("limits");
            }
        }
        return null;
    }

    private static int inFlight(GatewayFixture f, String id) {
        return limits(f, id).get("inFlight").asInt();
    }

    private static void awaitNoneInFlight(GatewayFixture f, String id) {
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertEquals(0, inFlight(f, id)));
    }

    @Test
    void nRequestsRunAtOnceTheNextIsOverloadedAndAfterThemRequestsPassAgain() throws Exception {
        try (GatewayFixture f = new GatewayFixture()) {
            TestBackend slow = f.closeLater(TestBackend.slow("slow", 1500));
            f.writer.register("svc", "1", slow.port(), 1);
            serve(f, "cap", "svc", "\"maxInFlight\":3");

            List<CompletableFuture<HttpResponse<String>>> running = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                running.add(Http.getAsync(f.port(), "/cap/x"));
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> inFlight(f, "cap") == 3);
            String refused = RawHttp.exchange(f.port(), "GET /cap/x HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");

            assertEquals(503, RawHttp.status(refused), refused);
            assertTrue(refused.contains("{\"status\":503,\"error\":\"overloaded\",\"route\":\"cap\",\"message\":\"the route "
                    + "has its maximum of 3 requests in flight (maxInFlight); try again shortly\""), refused);
            assertFalse(running.stream().anyMatch(CompletableFuture::isDone), "refused while the three still ran");
            for (CompletableFuture<HttpResponse<String>> r : running) {
                assertEquals(200, r.get(20, TimeUnit.SECONDS).statusCode());
            }
            awaitNoneInFlight(f, "cap");
            assertEquals(200, Http.get(f.port(), "/cap/x").statusCode());
            assertEquals(3, limits(f, "cap").get("maxInFlight").asInt());
            assertEquals(1, limits(f, "cap").get("overloaded").asInt());
            assertEquals(1.0, Http.metric(f.adminPort(), "zkgate_overloaded_total{route=\"cap\"}"));
            assertEquals(0.0, Http.metric(f.adminPort(), "zkgate_route_in_flight{route=\"cap\"}"));
        }
    }

    @Test
    void aBackendDownSilentOrMissingGivesThePlaceBack() throws Exception {
        try (GatewayFixture f = new GatewayFixture()) {
            f.writer.register("down", "1", f.closeLater(new RefusedPort()).port(), 1);
            serve(f, "down", "down", "\"maxInFlight\":1");
            for (int i = 0; i < 5; i++) {
                assertEquals(502, Http.get(f.port(), "/down/x").statusCode(), "never 503: no place leaked");
            }
            awaitNoneInFlight(f, "down");

            serve(f, "empty", "nobody", "\"maxInFlight\":1");
            for (int i = 0; i < 3; i++) {
                HttpResponse<String> r = Http.get(f.port(), "/empty/x");
                assertEquals(503, r.statusCode());
                assertTrue(r.body().contains("no_instances"), r.body());
            }
            assertEquals(0, inFlight(f, "empty"), "a request refused after the cap let it through gives it back");

            TestBackend stalling = f.closeLater(TestBackend.stalling("stall"));
            f.writer.register("stall", "1", stalling.port(), 1);
            serve(f, "stall", "stall", "\"maxInFlight\":1,\"timeouts\":{\"responseMs\":300}");
            for (int i = 0; i < 3; i++) {
                assertEquals(504, Http.get(f.port(), "/stall/x").statusCode());
            }
            awaitNoneInFlight(f, "stall");
        }
    }

    @Test
    void aClientGoneBeforeOrDuringTheResponseGivesThePlaceBack() throws Exception {
        try (GatewayFixture f = new GatewayFixture()) {
            StreamingBackend streaming = f.closeLater(StreamingBackend.start("stream"));
            f.writer.register("stream", "1", streaming.port(), 1);
            serve(f, "stream", "stream", "\"maxInFlight\":1");
            for (int i = 0; i < 3; i++) {
                try (Socket s = new Socket("127.0.0.1", f.port())) {
                    s.setSoTimeout(10_000);
                    s.getOutputStream().write("GET /stream/x HTTP/1.1\r\nHost: h\r\n\r\n"
                            .getBytes(StandardCharsets.ISO_8859_1));
                    InputStream in = s.getInputStream();
                    assertTrue(in.readNBytes(20_000).length == 20_000, "part of the response came");
                    assertEquals(1, inFlight(f, "stream"));
                }
                awaitNoneInFlight(f, "stream");
            }

            TestBackend slow = f.closeLater(TestBackend.slow("slow", 1000));
            f.writer.register("slow", "1", slow.port(), 1);
            serve(f, "slow", "slow", "\"maxInFlight\":1");
            for (int i = 0; i < 3; i++) {
                try (Socket s = new Socket("127.0.0.1", f.port())) {
                    s.getOutputStream().write("GET /slow/x HTTP/1.1\r\nHost: h\r\n\r\n"
                            .getBytes(StandardCharsets.ISO_8859_1));
                    await().atMost(Duration.ofSeconds(5)).until(() -> inFlight(f, "slow") == 1);
                }
                awaitNoneInFlight(f, "slow");
            }
            assertEquals(200, Http.get(f.port(), "/slow/x").statusCode());
        }
    }

    @Test
    void aScriptAnswerAndAWebSocketUpgradeGiveThePlaceBack() throws Exception {
        try (GatewayFixture f = new GatewayFixture()) {
            TestBackend backend = f.closeLater(TestBackend.start("b"));
            f.writer.register("svc", "1", backend.port(), 1);
            f.writer.putRaw("/zkgate/scripts/deny", "function on_request(req)\n"
                    + "  if req.header('X-Deny') then return req.respond(401) end\nend\n");
            serve(f, "lua", "svc", "\"maxInFlight\":1,\"script\":\"deny\"");
            for (int i = 0; i < 3; i++) {
                assertEquals(401, Http.get(f.port(), "/lua/x", "X-Deny", "1").statusCode());
            }
            assertEquals(0, inFlight(f, "lua"));
            assertEquals(200, Http.get(f.port(), "/lua/x").statusCode());

            WebSocketBackend ws = f.closeLater(WebSocketBackend.start("ws"));
            f.writer.register("ws", "1", ws.port(), 1);
            serve(f, "ws", "ws", "\"maxInFlight\":1");
            List<Socket> tunnels = new ArrayList<>();
            try {
                for (int i = 0; i < 2; i++) {
                    Socket s = new Socket("127.0.0.1", f.port());
                    tunnels.add(s);
                    s.setSoTimeout(10_000);
                    s.getOutputStream().write(("GET /ws/echo HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
                            + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                            + "Sec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                    String head = new String(s.getInputStream().readNBytes(12), StandardCharsets.ISO_8859_1);
                    assertEquals("HTTP/1.1 101", head, "an open tunnel does not hold the route's place");
                }
                awaitNoneInFlight(f, "ws");
            } finally {
                for (Socket s : tunnels) {
                    s.close();
                }
            }
        }
    }
}
