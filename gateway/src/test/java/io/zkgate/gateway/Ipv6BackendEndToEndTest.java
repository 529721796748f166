package io.zkgate.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.zkgate.gateway.support.GatewayFixture;
import io.zkgate.gateway.support.Http;
import io.zkgate.gateway.support.LoopbackServer;
import io.zkgate.gateway.support.WebSocketBackend;
import io.zkgate.gateway.support.WebSocketMessages;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Backends registered at an IPv6 literal ({@code "address":"::1"}, as a dual-stack host's registration client
 * writes it): requests and WebSocket handshakes reach them, the backend sees {@code [::1]:port} as its Host, and
 * the admin view and the metrics name the backend {@code [::1]:port}, never the ambiguous {@code ::1:port} (which
 * Jetty's tunnel read as a host without a port). Skipped where the machine has no IPv6 loopback.
 */
class Ipv6BackendEndToEndTest {
    private static final String V6 = "::1";
    private static final HttpClient CLIENT = HttpClient.newHttpClient();
    @AutoClose
    private static GatewayFixture f;
    private static int httpPort;
    private static int wsPort;

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(ipv6Loopback(), "no IPv6 loopback on this machine");
        f = new GatewayFixture();
        Server http = LoopbackServer.start(V6, "v6-http", 0, server -> new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                String body = "host=" + request.getHeaders().get(HttpHeader.HOST);
                response.write(true, ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)), callback);
                return true;
            }
        });
        f.closeLater(() -> LoopbackServer.stop(http));
        httpPort = LoopbackServer.port(http);
        WebSocketBackend ws = f.closeLater(WebSocketBackend.startOn(V6, "ws-v6"));
        wsPort = ws.port();
        f.writer.registerAt("v6", "a", V6, httpPort);
        f.writer.registerAt("ws6", "a", V6, wsPort);
        f.writer.putRoute("v6", "{\"id\":\"v6\",\"match\":{\"pathPrefix\":\"/v6\"},\"service\":\"v6\"}");
        f.writer.putRoute("ws6", "{\"id\":\"ws6\",\"match\":{\"pathPrefix\":\"/ws6\"},\"service\":\"ws6\"}");
        await().atMost(Duration.ofSeconds(10)).until(() -> Http.get(f.port(), "/v6/x").statusCode() == 200);
    }

    @Test
    void aRequestReachesTheBackendWithItsBracketedAuthorityAsHost() {
        HttpResponse<String> r = Http.get(f.port(), "/v6/x");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("host=[::1]:" + httpPort, r.body());
    }

    @Test
    void aWebSocketIsTunnelledToAnIpv6Backend() throws Exception {
        WebSocketMessages messages = new WebSocketMessages();
        WebSocket ws = CLIENT.newWebSocketBuilder()
                .buildAsync(URI.create("ws://127.0.0.1:" + f.port() + "/ws6/chat"), messages).get(10, TimeUnit.SECONDS);
        assertEquals("hello from ws-v6", messages.next());
        ws.sendText("ping", true).get(10, TimeUnit.SECONDS);
        assertEquals("ws-v6: ping", messages.next());
        ws.abort();
    }

    @Test
    void theAdminViewAndTheMetricsNameTheBackendInBrackets() {
        assertEquals(200, Http.get(f.port(), "/v6/x").statusCode());
        String address = "[::1]:" + httpPort;
        String listed = null;
        for (JsonNode service : Http.json(f.adminPort(), "/admin/services").get("services")) {
            if (service.get("name").asText().equals("v6")) {
                listed = service.get("instances").get(0).get("address").asText();
            }
        }
        assertEquals(address, listed, "admin/services");
        assertNotNull(Http.metric(f.adminPort(),
                "zkgate_backend_in_flight{service=\"v6\",backend=\"" + address + "\"}"), "backend label");
    }

    private static boolean ipv6Loopback() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(V6))) {
            return true;
        } catch (Exception e) {
            return false;
        }
    }
}
