package io.zkgate.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.gateway.support.GatewayFixture;
import io.zkgate.gateway.support.Http;
import io.zkgate.gateway.support.RawHttp;
import io.zkgate.gateway.support.ScriptedBackend;
import io.zkgate.gateway.support.ScriptedBackend.Reply;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * {@code --upstream-idle-timeout-ms}: a pooled connection to a backend is reused while it is younger than the
 * timeout and closed by the gateway once idle that long, even when no request comes after it (and whatever the
 * route's response timeout, which is longer here).
 */
class UpstreamIdleTimeoutTest {
    private static final long IDLE_MS = 600;

    @Test
    void aPooledConnectionIsReusedWhileFreshAndClosedByTheGatewayOnceIdleForTheTimeout() throws Exception {
        try (GatewayFixture f = new GatewayFixture("--upstream-idle-timeout-ms", Long.toString(IDLE_MS))) {
            ScriptedBackend backend = f.closeLater(ScriptedBackend.start(
                    r -> Reply.keepAlive("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")));
            f.writer.register("idle", "1", backend.port(), 1);
            f.writer.putRoute("idle", "{\"id\":\"idle\",\"match\":{\"pathPrefix\":\"/idle\"},\"service\":\"idle\","
                    + "\"timeouts\":{\"responseMs\":20000}}");
            f.awaitSynced();
            await().atMost(Duration.ofSeconds(10)).until(() -> Http.get(f.port(), "/idle/warm").statusCode() == 200);
            await().atMost(Duration.ofSeconds(10)).until(() -> backend.closedByPeer() == backend.connections());

            // one client connection, so one event loop and its pool: the second request takes the first's connection
            long answered;
            int opened;
            try (Socket client = new Socket("127.0.0.1", f.port())) {
                client.setSoTimeout(10_000);
                assertTrue(get(client, "/idle/a").startsWith("HTTP/1.1 200"));
                opened = backend.connections();
                assertTrue(get(client, "/idle/b").startsWith("HTTP/1.1 200"));
                answered = System.nanoTime();
                assertEquals(opened, backend.connections(), "reused within the idle timeout");
            }

            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                    .until(() -> backend.closedByPeer() == opened);
            long closedAfterMs = (System.nanoTime() - answered) / 1_000_000;
            assertTrue(closedAfterMs >= IDLE_MS - 50, "closed after " + closedAfterMs + " ms, before the idle timeout");
        }
    }

    /** One keep-alive request on {@code client}; returns the response, read through its 2-byte body. */
    private static String get(Socket client, String path) throws Exception {
        client.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: h\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
        return RawHttp.readThrough(client.getInputStream(), "\r\n\r\nok");
    }
}
