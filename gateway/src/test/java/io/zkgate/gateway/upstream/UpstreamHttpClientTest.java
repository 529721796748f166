package io.zkgate.gateway.upstream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.gateway.proxy.UpstreamHttpClient;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.eclipse.jetty.client.ContentDecoder;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway's upstream client passes a backend's encoded body through as it came and adds no
 * {@code Accept-Encoding}, and starting it loads no compression library: a plain Jetty client, started in a JVM of
 * its own, extracts brotli's native library into the temporary directory; this one leaves the directory empty (real
 * Jetty clients, a real Jetty backend).
 */
class UpstreamHttpClientTest {
    private static final byte[] PLAIN = "the backend's own bytes".getBytes(StandardCharsets.UTF_8);

    @Test
    void anEncodedBodyPassesThroughAndNoAcceptEncodingIsAdded() throws Exception {
        byte[] gzipped = gzip(PLAIN);
        Server backend = new Server();
        ServerConnector connector = new ServerConnector(backend);
        connector.setHost("127.0.0.1");
        backend.addConnector(connector);
        backend.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                String asked = request.getHeaders().get(HttpHeader.ACCEPT_ENCODING);
                response.getHeaders().put("X-Accept-Encoding", asked == null ? "none" : asked);
                response.getHeaders().put(HttpHeader.CONTENT_ENCODING, "gzip");
                response.write(true, ByteBuffer.wrap(gzipped), callback);
                return true;
            }
        });
        HttpClient client = UpstreamHttpClient.overHttp11();
        try {
            backend.start();
            client.start();
            ContentResponse response = client.newRequest("127.0.0.1", connector.getLocalPort())
                    .timeout(30, TimeUnit.SECONDS).send();
            assertEquals(200, response.getStatus());
            assertEquals("none", response.getHeaders().get("X-Accept-Encoding"), "no Accept-Encoding added");
            assertEquals("gzip", response.getHeaders().get(HttpHeader.CONTENT_ENCODING));
            assertArrayEquals(gzipped, response.getContent(), "the body as the backend encoded it");
            assertTrue(client.getContentDecoderFactories().isEmpty());
        } finally {
            client.stop();
            backend.stop();
        }
    }

    @Test
    void aDecoderSetBeforeTheStartIsRefused() {
        HttpClient client = UpstreamHttpClient.overHttp11();
        client.getContentDecoderFactories().put(new ContentDecoder.Factory("gzip") {
            @Override
            public Content.Source newDecoderContentSource(Content.Source source) {
                return source;
            }
        });
        Exception e = assertThrows(IllegalStateException.class, client::start);
        assertTrue(e.getMessage().contains("no content decoder"), e.getMessage());
    }

    @Test
    void startingPutsNoNativeLibraryInTheTemporaryDirectory(@TempDir Path dir) throws Exception {
        String ours = startInItsOwnJvm("ours", Files.createDirectory(dir.resolve("ours")));
        assertTrue(ours.contains("temporary files: []"), "nothing extracted by the upstream client: " + ours);
        String jettys = startInItsOwnJvm("jetty", Files.createDirectory(dir.resolve("jetty")));
        assertTrue(jettys.contains("com_aayushatharva_brotli4j_"),
                "a plain Jetty client extracts brotli's library (what the test can see): " + jettys);
    }

    /** Runs {@link Start} in a JVM of its own whose temporary directory is {@code tmp}; returns its output. */
    private static String startInItsOwnJvm(String which, Path tmp) throws Exception {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Djava.io.tmpdir=" + tmp, "-cp", System.getProperty("java.class.path"), Start.class.getName(), which)
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the client's JVM ended");
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    private static byte[] gzip(byte[] bytes) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(bytes);
        }
        return out.toByteArray();
    }

    /**
     * Starts one client, the upstream client ({@code ours}) or a plain Jetty one, prints what the temporary directory
     * holds while it runs, and stops it.
     */
    static final class Start {
        public static void main(String[] args) throws Exception {
            HttpClient client = "ours".equals(args[0]) ? UpstreamHttpClient.overHttp11()
                    : new HttpClient(new HttpClientTransportOverHTTP());
            client.start();
            try (Stream<Path> files = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
                System.out.println("temporary files: " + files.map(f -> f.getFileName().toString()).toList());
            }
            client.stop();
        }
    }
}
