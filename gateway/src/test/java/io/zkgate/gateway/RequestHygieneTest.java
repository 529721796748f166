package io.zkgate.gateway;

import static io.zkgate.gateway.support.ZkWriter.route;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.gateway.support.GatewayFixture;
import io.zkgate.gateway.support.Http;
import io.zkgate.gateway.support.RawHttp;
import io.zkgate.gateway.support.ScriptedBackend;
import io.zkgate.gateway.support.ScriptedBackend.Reply;
import io.zkgate.gateway.support.TestBackend;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Raw-socket requests that a gateway must refuse without forwarding, while good requests keep flowing. */
class RequestHygieneTest {
    @AutoClose
    private static GatewayFixture f;
    private static TestBackend backend;
    private static ScriptedBackend reader;

    @BeforeAll
    static void start() throws Exception {
        f = new GatewayFixture("--max-request-header-bytes", "4096", "--max-body-bytes", "1000",
                "--client-idle-timeout-ms", "1500");
        backend = f.closeLater(TestBackend.start("hyg"));
        f.writer.register("hyg", "1", backend.port(), 1);
        f.writer.putRoute("hyg", route("hyg", "/hyg", "hyg"));
        // A backend that reads a body before it answers, as most do: a chunked body over the limit is then refused
        // before any answer (one that answers first is aChunkedBodyGoingOverTheLimitAfterTheBackendAnswered...)
        reader = f.closeLater(ScriptedBackend.start(
                r -> Reply.keepAlive("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")));
        f.writer.register("reads", "1", reader.port(), 1);
        f.writer.putRoute("reads", route("reads", "/reads", "reads"));
        await().atMost(Duration.ofSeconds(10)).until(() -> Http.get(f.port(), "/hyg").statusCode() == 200
                && Http.get(f.port(), "/reads").statusCode() == 200);
    }

    @Test
    void smugglingAttemptsOversizedHeadersAndBodiesAndMalformedRequestsAreRefusedAndNeverForwarded() throws Exception {
        int hitsBefore = backend.hits();
        ExecutorService good = Executors.newFixedThreadPool(2);
        List<Future<Integer>> goodResults = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            goodResults.add(good.submit(() -> Http.get(f.port(), "/hyg/ok").statusCode()));
        }

        String both = "POST /hyg/smuggle HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "0\r\n\r\nGET /hyg/admin HTTP/1.1\r\nHost: x\r\n\r\n";
        String bothAnswer = raw(both);
        assertTrue(bothAnswer.startsWith("HTTP/1.1 400"), "Content-Length with Transfer-Encoding");
        assertTrue(bothAnswer.contains("\"error\":\"bad_request\""), "Jetty's own refusals are JSON: " + bothAnswer);
        String twoLengths = "POST /hyg/smuggle HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde";
        assertTrue(raw(twoLengths).startsWith("HTTP/1.1 400"), "two Content-Lengths");
        String big = "GET /hyg/big HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(8000) + "\r\n\r\n";
        String bigAnswer = raw(big);
        assertTrue(bigAnswer.startsWith("HTTP/1.1 431"), "header too large");
        assertTrue(bigAnswer.contains("\"error\":\"header_too_large\""), bigAnswer);
        String malformed = "GET /hyg/bad HTTP/1.1 extra\r\nHost: x\r\n\r\n";
        String malformedAnswer = raw(malformed);
        assertTrue(malformedAnswer.startsWith("HTTP/1.1 400"), "malformed request line");
        assertTrue(malformedAnswer.contains("\"error\":\"bad_request\""), malformedAnswer);
        String body = "POST /hyg/body HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\n\r\n" + "b".repeat(2000);
        String tooLarge = raw(body);
        assertTrue(tooLarge.startsWith("HTTP/1.1 413"), tooLarge);
        assertTrue(tooLarge.contains("\"error\":\"body_too_large\""), tooLarge);
        String chunk = "c".repeat(600);
        String chunked = "POST /reads/chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                + Integer.toHexString(600) + "\r\n" + chunk + "\r\n" + Integer.toHexString(600) + "\r\n" + chunk
                + "\r\n0\r\n\r\n";
        String chunkedTooLarge = raw(chunked);
        assertTrue(chunkedTooLarge.startsWith("HTTP/1.1 413"), chunkedTooLarge);
        assertTrue(chunkedTooLarge.contains("\"error\":\"body_too_large\""), chunkedTooLarge);

        for (Future<Integer> r : goodResults) {
            assertEquals(200, r.get(30, TimeUnit.SECONDS), "concurrent good requests are unaffected");
        }
        good.shutdown();
        Thread.sleep(200);
        assertEquals(goodResults.size(), backend.hits() - hitsBefore, "nothing refused was forwarded");
        assertTrue(reader.received().stream().noneMatch(r -> r.requestLine().startsWith("POST")),
                "the chunked body over the limit never reached its backend whole");
    }

    @Test
    void hopByHopHeadersAreStrippedBeforeTheBackend() throws Exception {
        String r = raw("GET /hyg/hop HTTP/1.1\r\nHost: x\r\nConnection: close, X-Secret\r\nX-Secret: 1\r\n"
                + "kEeP-aLiVe: timeout=5\r\nTE: gzip\r\nProxy-Connection: keep-alive\r\nX-Kept: 1\r\n\r\n");
        assertTrue(r.startsWith("HTTP/1.1 200"), r);
        String received = r.lines().filter(l -> l.startsWith("X-Received-Headers:")).findFirst().orElseThrow();
        // the servlet engine relays the backend's list with ", " between names
        List<String> names = Stream.of(received.substring(19).split(",")).map(String::trim).toList();
        assertTrue(names.contains("x-kept"), received);
        // (TE: trailers alone is passed by the servlet engine, as Jetty's proxy does for gRPC backends)
        for (String hop : new String[] {"x-secret", "keep-alive", "te", "connection", "proxy-connection"}) {
            assertFalse(names.contains(hop), hop + " forwarded: " + received);
        }
    }

    @Test
    void aClientThatSendsNothingIsDisconnectedAfterTheIdleTimeout() throws Exception {
        try (Socket s = new Socket("127.0.0.1", f.port())) {
            s.setSoTimeout(10_000);
            long t0 = System.nanoTime();
            int read = s.getInputStream().read();
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(-1, read, "the gateway closes a connection that sends nothing");
            assertTrue(ms < 9_000, "closed after the client idle timeout, took " + ms + " ms");
        }
    }

    @Test
    void anH2cUpgradeRequestIsServedAsHttp11() throws Exception {
        String h2c = raw("GET /hyg/plain HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\n"
                + "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n");
        assertTrue(h2c.startsWith("HTTP/1.1 200") && h2c.contains("hyg /hyg/plain"), h2c);
    }

    @Test
    void connectIsNeverTunnelledTheGatewayIsNotAForwardProxy() throws Exception {
        String connect = raw("CONNECT 127.0.0.1:" + backend.port() + " HTTP/1.1\r\nHost: 127.0.0.1:" + backend.port()
                + "\r\n\r\n");
        assertFalse(connect.startsWith("HTTP/1.1 200"), connect);
        assertTrue(connect.startsWith("HTTP/1.1 4"), connect);
    }

    @Test
    void aWebSocketUpgradeThatIsNotAGetIsRefusedWith501() throws Exception {
        int hitsBefore = backend.hits();
        String post = raw("POST /hyg/socket HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                + "Content-Length: 0\r\n\r\n");
        assertTrue(post.startsWith("HTTP/1.1 501") && post.contains("\"error\":\"upgrade_not_supported\""), post);
        assertEquals(hitsBefore, backend.hits(), "the backend never saw it");
    }

    /**
     * A backend that answers before reading a chunked body must still get no byte past the route's limit: the
     * client gets the backend's answer (the gateway can no longer send 413), and the rest of the body is dropped.
     */
    @Test
    void aChunkedBodyGoingOverTheLimitAfterTheBackendAnsweredIsNotForwardedPastIt() throws Exception {
        try (EarlyAnswerBackend early = new EarlyAnswerBackend()) {
            f.writer.register("early", "1", early.port(), 1);
            f.writer.putRoute("early", route("early", "/early", "early"));
            await().atMost(Duration.ofSeconds(10)).until(() -> Http.get(f.port(), "/early/warm").statusCode() == 200);
            String chunk = Integer.toHexString(600) + "\r\n" + "c".repeat(600) + "\r\n";
            String status;
            try (Socket client = new Socket("127.0.0.1", f.port())) {
                client.setSoTimeout(10_000);
                OutputStream out = client.getOutputStream();
                out.write(("POST /early/up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk)
                        .getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                status = RawHttp.readThrough(client.getInputStream(), "\r\n\r\n").split("\r\n")[0];
                try {
                    out.write((chunk + chunk + "0\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                } catch (IOException closedByTheGateway) {
                    // the servlet engine aborts the exchange at the limit
                }
                try {
                    client.getInputStream().transferTo(OutputStream.nullOutputStream()); // the gateway closes
                } catch (SocketTimeoutException e) {
                    throw new AssertionError("the client's connection was kept after a cut body", e);
                } catch (IOException reset) {
                    // closed with unread bytes: a reset is a close too
                }
            }
            assertEquals("HTTP/1.1 200 OK", status, "the backend's answer, already under way");
            String body = early.postBody().get(10, TimeUnit.SECONDS);
            assertTrue(body.length() <= 1000 + 16, "the backend got no more than the limit (and the first chunk's "
                    + "framing): " + body.length() + " bytes");
            assertFalse(body.endsWith("0\r\n\r\n"), "nor the body's end, which would pass a cut body as whole");
        }
    }

    /**
     * Answers a POST with a response head and a first chunk at once, before reading the body, then counts the body
     * that reaches it until none has come for a second, then ends the response; answers anything else "ok".
     * Each connection on its own thread.
     */
    private static final class EarlyAnswerBackend implements AutoCloseable {
        private final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final CompletableFuture<String> postBody = new CompletableFuture<>();

        EarlyAnswerBackend() throws IOException {
            Thread acceptor = new Thread(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket s = server.accept();
                        Thread serving = new Thread(() -> serve(s));
                        serving.setDaemon(true);
                        serving.start();
                    } catch (IOException closed) {
                        return;
                    }
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
        }

        int port() {
            return server.getLocalPort();
        }

        /** The raw chunked body a POST got, framing included. */
        CompletableFuture<String> postBody() {
            return postBody;
        }

        private void serve(Socket s) {
            try (s) {
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream();
                while (true) {
                    String head = RawHttp.readThrough(in, "\r\n\r\n");
                    if (!head.endsWith("\r\n\r\n")) {
                        return; // the gateway closed the connection
                    }
                    if (!head.startsWith("POST")) {
                        out.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
                                .getBytes(StandardCharsets.ISO_8859_1));
                        out.flush();
                        continue;
                    }
                    out.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nearly\r\n"
                            .getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                    s.setSoTimeout(1000);
                    StringBuilder body = new StringBuilder();
                    byte[] buffer = new byte[8192];
                    try {
                        for (int n; (n = in.read(buffer)) > 0; ) {
                            body.append(new String(buffer, 0, n, StandardCharsets.ISO_8859_1));
                        }
                    } catch (SocketTimeoutException quiet) {
                        // no more body is coming
                    }
                    postBody.complete(body.toString());
                    out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                    return;
                }
            } catch (IOException gone) {
                // the gateway closed the connection
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }

    private static String raw(String request) throws Exception {
        return RawHttp.exchange(f.port(), request);
    }
}
