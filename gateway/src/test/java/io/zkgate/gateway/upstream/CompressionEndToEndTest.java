package io.zkgate.gateway.upstream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.gateway.support.EventStreamBackend;
import io.zkgate.gateway.support.GatewayFixture;
import io.zkgate.gateway.support.LoopbackServer;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Routes with a {@code compression} block: negotiated by Accept-Encoding, never harmful, on both engines. */
class CompressionEndToEndTest {
    private static final String TEXT = "zkgate compresses this line. ".repeat(200);
    private static final byte[] JPEG = jpegLike();
    private static final byte[] PRE_GZIPPED = gzip("already gzipped by the backend ".repeat(50));

    private static byte[] jpegLike() {
        byte[] b = new byte[4096];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (i % 7 == 0 ? 0xFF : 'a');
        }
        return b;
    }

    private static byte[] gzip(String s) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (GZIPOutputStream z = new GZIPOutputStream(out)) {
                z.write(s.getBytes(StandardCharsets.UTF_8));
            }
            return out.toByteArray();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static Server backend() throws Exception {
        return LoopbackServer.start("compressible", 0, new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                String path = request.getHttpURI().getPath();
                byte[] body;
                if (path.endsWith("/photo.jpg")) {
                    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "image/jpeg");
                    body = JPEG;
                } else if (path.endsWith("/pre")) {
                    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain");
                    response.getHeaders().put(HttpHeader.CONTENT_ENCODING, "gzip");
                    body = PRE_GZIPPED;
                } else {
                    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain;charset=utf-8");
                    body = TEXT.getBytes(StandardCharsets.UTF_8);
                }
                response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
                response.write(true, ByteBuffer.wrap(body), callback);
                return true;
            }
        });
    }

    /** Route "web" to {@code backend}, compressing answers of 100 bytes and more. */
    private static void compressingRoute(GatewayFixture f, Server backend) throws Exception {
        f.writer.register("web", "1", LoopbackServer.port(backend), 1);
        f.writer.putRoute("web", "{\"id\":\"web\",\"match\":{\"pathPrefix\":\"/web\"},\"service\":\"web\","
                + "\"compression\":{\"minBytes\":100}}");
    }

    private static HttpResponse<byte[]> get(int port, String path, String acceptEncoding) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10));
        if (acceptEncoding != null) {
            b.header("Accept-Encoding", acceptEncoding);
        }
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void gzipAndBrotliAreNegotiatedButNotForAJpegOrABackendCompressedBodyOrARouteWithout() throws Exception {
        Server backend = backend();
        try (GatewayFixture f = new GatewayFixture("--engine", "servlet")) {
            compressingRoute(f, backend);
            f.writer.putRoute("plain", "{\"id\":\"plain\",\"match\":{\"pathPrefix\":\"/plain\"},\"service\":\"web\"}");
            await().atMost(Duration.ofSeconds(10)).until(() -> get(f.port(), "/web/t", null).statusCode() == 200
                    && get(f.port(), "/plain/t", null).statusCode() == 200);

            HttpResponse<byte[]> gz = get(f.port(), "/web/t", "gzip");
            assertEquals("gzip", gz.headers().firstValue("Content-Encoding").orElse(null));
            assertTrue(gz.body().length < TEXT.length() / 4, "compressed: " + gz.body().length);
            try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(gz.body()))) {
                assertEquals(TEXT, new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }

            HttpResponse<byte[]> br = get(f.port(), "/web/t", "br");
            assertEquals("br", br.headers().firstValue("Content-Encoding").orElse(null));
            assertTrue(br.body().length < TEXT.length() / 4, "compressed: " + br.body().length);

            HttpResponse<byte[]> identity = get(f.port(), "/web/t", null);
            assertNull(identity.headers().firstValue("Content-Encoding").orElse(null));
            assertEquals(TEXT, new String(identity.body(), StandardCharsets.UTF_8));

            HttpResponse<byte[]> jpeg = get(f.port(), "/web/photo.jpg", "gzip, br");
            assertNull(jpeg.headers().firstValue("Content-Encoding").orElse(null));
            assertArrayEquals(JPEG, jpeg.body());

            HttpResponse<byte[]> pre = get(f.port(), "/web/pre", "gzip, br");
            assertEquals("gzip", pre.headers().firstValue("Content-Encoding").orElse(null));
            assertArrayEquals(PRE_GZIPPED, pre.body(), "the backend's own encoding passes untouched");

            HttpResponse<byte[]> off = get(f.port(), "/plain/t", "gzip, br");
            assertNull(off.headers().firstValue("Content-Encoding").orElse(null), "no compression block, no compression");
        } finally {
            LoopbackServer.stop(backend);
        }
    }

    @Test
    void theLoopEngineGzipsInTheLoopButNotAJpegOrABackendCompressedBody() throws Exception {
        Server backend = backend();
        try (GatewayFixture f = new GatewayFixture("--engine", "loop")) {
            compressingRoute(f, backend);
            await().atMost(Duration.ofSeconds(10)).until(() -> get(f.port(), "/web/t", null).statusCode() == 200);

            for (int i = 0; i < 2; i++) { // the second on the pooled upstream connection
                HttpResponse<byte[]> gz = get(f.port(), "/web/t", "br;q=1, gzip;q=0.5");
                assertEquals("gzip", gz.headers().firstValue("Content-Encoding").orElse(null));
                assertTrue(gz.body().length < TEXT.length() / 4, "compressed: " + gz.body().length);
                try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(gz.body()))) {
                    assertEquals(TEXT, new String(in.readAllBytes(), StandardCharsets.UTF_8));
                }
            }
            assertNull(get(f.port(), "/web/t", "gzip;q=0, br").headers().firstValue("Content-Encoding").orElse(null));
            HttpResponse<byte[]> jpeg = get(f.port(), "/web/photo.jpg", "gzip");
            assertNull(jpeg.headers().firstValue("Content-Encoding").orElse(null));
            assertArrayEquals(JPEG, jpeg.body());
            HttpResponse<byte[]> pre = get(f.port(), "/web/pre", "gzip");
            assertArrayEquals(PRE_GZIPPED, pre.body(), "the backend's own encoding passes untouched");
        } finally {
            LoopbackServer.stop(backend);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"loop", "servlet"})
    void anEventStreamOnACompressingRouteIsStillFlushedPerEvent(String engine) throws Exception {
        try (EventStreamBackend events = EventStreamBackend.serverSentEvents();
                GatewayFixture f = new GatewayFixture("--engine", engine)) {
            f.writer.register("sse", "1", events.port(), 1);
            f.writer.putRoute("sse", "{\"id\":\"sse\",\"match\":{\"pathPrefix\":\"/sse\"},\"service\":\"sse\","
                    + "\"compression\":{\"minBytes\":0}}");
            await().atMost(Duration.ofSeconds(10)).until(() -> get(f.port(), "/nothing", null).statusCode() == 404);
            await().atMost(Duration.ofSeconds(10)).until(() -> f.gateway.snapshots().current().routes().entry("sse") != null);

            HttpResponse<InputStream> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + f.port() + "/sse/")).header("Accept-Encoding", "gzip, br").build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            assertEquals(200, r.statusCode());
            assertNull(r.headers().firstValue("Content-Encoding").orElse(null));
            BufferedReader reader = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8));
            events.send("data: one\n\n");
            CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> {
                try {
                    return reader.readLine();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            assertEquals("data: one", first.get(10, TimeUnit.SECONDS), "the first event arrives before the stream ends");
            events.end();
        }
    }
}
