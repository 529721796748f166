package io.zkgate.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.zkgate.gateway.routing.ServicePool;
import io.zkgate.gateway.support.EventStreamBackend;
import io.zkgate.gateway.support.GatewayFixture;
import io.zkgate.gateway.support.Http;
import io.zkgate.gateway.support.ZkWriter;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Bodies a backend streams reach the client as they are sent, not when 32 KB have piled up or the response ends:
 * server-sent events, a slow body with a Content-Length, and a large chunked body that must arrive intact.
 * Each piece is awaited while the backend still holds the next one, so a proxy that buffers fails the test.
 */
class StreamingEndToEndTest {
    private static final Duration PROMPT = Duration.ofSeconds(5);
    private static GatewayFixture f;
    private static ExecutorService reader;

    @BeforeAll
    static void start() throws Exception {
        f = new GatewayFixture();
        reader = Executors.newCachedThreadPool();
        f.awaitSynced();
    }

    @AfterAll
    static void stop() throws Exception {
        reader.shutdownNow();
        f.close();
    }

    @Test
    void serverSentEventsArriveOneByOneAndTheirHeadersBeforeTheFirstEvent() throws Exception {
        EventStreamBackend events = f.closeLater(EventStreamBackend.serverSentEvents());
        serve("sse", events.port());

        HttpResponse<InputStream> response = Http.stream(f.port(), "/sse/stream")
                .get(PROMPT.toSeconds(), TimeUnit.SECONDS);
        assertEquals(200, response.statusCode());
        assertEquals("text/event-stream", response.headers().firstValue("Content-Type").orElse(""));
        InputStream body = response.body();
        for (int i = 1; i <= 3; i++) {
            String event = "id: " + i + "\ndata: tick " + i + "\n\n";
            events.send(event);
            assertEquals(event, readExactly(body, event.length()), "event " + i + " before the next is sent");
        }
        events.end();
        assertEquals(-1, read(body), "the stream ends when the backend ends it");
    }

    @Test
    void aSlowBodyWithAContentLengthIsPassedOnPieceByPiece() throws Exception {
        String first = "first half,";
        String second = " second half";
        EventStreamBackend slow = f.closeLater(EventStreamBackend.withContentLength(first.length() + second.length()));
        serve("slow-body", slow.port());

        var pending = Http.stream(f.port(), "/slow-body/x");
        slow.send(first); // a response with a Content-Length commits its headers with its first bytes
        HttpResponse<InputStream> response = pending.get(PROMPT.toSeconds(), TimeUnit.SECONDS);
        assertEquals(200, response.statusCode());
        InputStream body = response.body();
        assertEquals(String.valueOf(first.length() + second.length()),
                response.headers().firstValue("Content-Length").orElse(""));
        assertEquals(first, readExactly(body, first.length()), "the first piece before the second is sent");
        slow.send(second);
        assertEquals(second, readExactly(body, second.length()));
        assertEquals(-1, read(body));
    }

    @Test
    void aLargeChunkedBodySentInUnevenPiecesArrivesIntact() throws Exception {
        EventStreamBackend big = f.closeLater(EventStreamBackend.serverSentEvents());
        serve("big", big.port());
        Random random = new Random(42);
        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < 400; i++) {
            StringBuilder piece = new StringBuilder();
            int size = 1 + random.nextInt(i % 10 == 0 ? 40_000 : 300);
            for (int j = 0; j < size; j++) {
                piece.append((char) ('a' + random.nextInt(26)));
            }
            expected.append(piece);
            big.send(piece.toString());
        }
        big.end();
        HttpResponse<InputStream> response = Http.stream(f.port(), "/big/x").get(30, TimeUnit.SECONDS);
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        try (InputStream body = response.body()) {
            body.transferTo(received);
        }
        assertArrayEquals(expected.toString().getBytes(StandardCharsets.UTF_8), received.toByteArray());
    }

    private static String readExactly(InputStream in, int n) throws Exception {
        Future<byte[]> bytes = reader.submit(() -> in.readNBytes(n));
        return new String(bytes.get(PROMPT.toSeconds(), TimeUnit.SECONDS), StandardCharsets.UTF_8);
    }

    private static int read(InputStream in) throws Exception {
        return reader.submit(() -> in.read()).get(PROMPT.toSeconds(), TimeUnit.SECONDS);
    }

    private static void serve(String service, int port) throws Exception {
        f.writer.register(service, "1", port, 1);
        f.writer.putRoute(service, ZkWriter.route(service, "/" + service, service));
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            ServicePool pool = f.gateway.snapshots().current().services().get(service);
            return pool != null && pool.routable().length == 1;
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> f.gateway.snapshots().current().routes().entries().stream()
                .anyMatch(e -> e.id().equals(service)));
    }
}
