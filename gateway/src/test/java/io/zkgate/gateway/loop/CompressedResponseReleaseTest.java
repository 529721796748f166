package io.zkgate.gateway.loop;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.gateway.support.EventStreamBackend;
import io.zkgate.gateway.support.GatewayFixture;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A compressed response that does not run to its end frees its deflater's native memory (about 256 KiB each) when
 * the exchange ends, not when a full collection finally finds the encoder: a client that abandons it, and a backend
 * that cuts it.
 */
class CompressedResponseReleaseTest {
    private static final String REQUEST = "GET /big/ HTTP/1.1\r\nHost: gateway\r\nAccept-Encoding: gzip\r\n\r\n";

    @Test
    void aCompressedResponseAbandonedByTheClientOrCutByTheBackendEndsItsDeflater() throws Exception {
        try (GatewayFixture f = new GatewayFixture("--engine", "loop")) {
            int before = GzipEncoder.open();
            f.writer.putRoute("big", "{\"id\":\"big\",\"match\":{\"pathPrefix\":\"/big\"},\"service\":\"big\","
                    + "\"compression\":{\"minBytes\":0}}");
            try (EventStreamBackend backend = EventStreamBackend.withContentLength(1_000_000)) {
                serve(f, "1", backend);
                try (Socket client = new Socket("127.0.0.1", f.port())) {
                    startCompressedResponse(client, backend);
                    assertEquals(before + 1, GzipEncoder.open(), "the response under way holds one deflater");
                }
                // the gateway learns the client is gone when it next writes to it: the backend sends on
                await().atMost(Duration.ofSeconds(10)).until(() -> {
                    backend.send("y".repeat(1000));
                    return GzipEncoder.open() == before;
                });
            }

            try (EventStreamBackend backend = EventStreamBackend.withContentLength(1_000_000);
                    Socket client = new Socket("127.0.0.1", f.port())) {
                f.writer.deregister("big", "1");
                serve(f, "2", backend);
                startCompressedResponse(client, backend);
                assertEquals(before + 1, GzipEncoder.open(), "the response under way holds one deflater");
                backend.end(); // ends the response 999,000 bytes short: the backend's connection is cut
                client.setSoTimeout(10_000);
                InputStream in = client.getInputStream();
                while (in.read(new byte[8192]) >= 0) {
                    // the gateway relays what it has, then closes the client's connection
                }
                await().atMost(Duration.ofSeconds(10)).until(() -> GzipEncoder.open() == before);
            }
        }
    }

    /** Makes {@code backend} route "big"'s only instance. */
    private static void serve(GatewayFixture f, String id, EventStreamBackend backend) throws Exception {
        f.writer.register("big", id, backend.port(), 1);
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            var entry = f.gateway.snapshots().current().routes().entry("big");
            return entry != null && entry.balancer().endpoints().length == 1
                    && entry.balancer().endpoints()[0].port() == backend.port();
        });
    }

    /** Sends the request, lets the backend send its first kilobyte, and reads the compressed response's head. */
    private static void startCompressedResponse(Socket client, EventStreamBackend backend) throws Exception {
        client.setSoTimeout(10_000);
        client.getOutputStream().write(REQUEST.getBytes(StandardCharsets.US_ASCII));
        backend.send("x".repeat(1000));
        InputStream in = client.getInputStream();
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).contains("\r\n\r\n")) {
            int b = in.read();
            assertTrue(b >= 0, "the gateway closed before the head: " + head);
            head.write(b);
        }
        String text = head.toString(StandardCharsets.ISO_8859_1);
        assertTrue(text.startsWith("HTTP/1.1 200") && text.contains("Content-Encoding: gzip"), text);
    }
}
