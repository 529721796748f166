package io.zkgate.gateway;

import static io.zkgate.gateway.support.ZkWriter.route;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.gateway.support.GatewayFixture;
import io.zkgate.gateway.support.RawHttp;
import io.zkgate.gateway.support.ScriptedBackend;
import io.zkgate.gateway.support.TestBackend;
import io.zkgate.gateway.support.ScriptedBackend.Received;
import io.zkgate.gateway.support.ScriptedBackend.Reply;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What any HTTP/1.1 proxy must get right, on the event-loop engine, with raw sockets on both sides (a client
 * library would hide the bytes): Expect: 100-continue, HEAD, 1xx/204/304 without bodies, chunked both ways with
 * trailers, HTTP/1.0 clients, Connection: close from either side, pipelining, and a pooled upstream connection the
 * backend closed while idle.
 */
class Http11ProxyingTest {
    /** Far more than the sockets on both sides hold, so the gateway's write to a slow reader goes on after the exchange. */
    private static final int BIG = 8 * 1024 * 1024;
    private static final String BIG_BODY = "b".repeat(BIG);
    private static final String HINT = "HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n";
    /** Interim answers enough to fill a client's socket that does not read (about 6 MB of them). */
    private static final int HINTS = 100_000;

    @AutoClose
    private static GatewayFixture f;
    private static ScriptedBackend backend;

    @BeforeAll
    static void start() throws Exception {
        f = new GatewayFixture("--engine", "loop");
        backend = f.closeLater(ScriptedBackend.start(Http11ProxyingTest::answer));
        f.writer.register("h11", "1", backend.port(), 1);
        f.writer.putRoute("h11", route("h11", "/b", "h11"));
        TestBackend early = f.closeLater(TestBackend.start("early")); // a Jetty handler that never reads the body
        f.writer.register("h11-early", "1", early.port(), 1);
        f.writer.putRoute("h11-early", route("h11-early", "/early", "h11-early"));
        await().atMost(Duration.ofSeconds(15)).until(() -> RawHttp.exchange(f.port(), get("/b/plain"))
                .startsWith("HTTP/1.1 200") && RawHttp.exchange(f.port(), get("/early/x")).startsWith("HTTP/1.1 200"));
    }

    /** The backend's script, by request path. */
    private static Reply answer(Received r) {
        String target = r.requestLine().split(" ")[1];
        String path = target.split("\\?")[0];
        return switch (path) {
            case "/b/head" -> Reply.keepAlive("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Head: yes\r\n\r\n");
            case "/b/204" -> Reply.keepAlive("HTTP/1.1 204 No Content\r\nX-Empty: yes\r\n\r\n");
            case "/b/304" -> Reply.keepAlive("HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\n\r\n");
            case "/b/early-hints" -> Reply.keepAlive("HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n"
                    + "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfinal");
            case "/b/chunked" -> Reply.keepAlive("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n"
                    + "3\r\nabc\r\n4\r\ndefg\r\n0\r\nX-Sum: 42\r\n\r\n");
            case "/b/until-close" -> Reply.thenClose("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nstreamed-to-eof");
            case "/b/backend-closes" -> Reply.thenClose("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n"
                    + "\r\nbye");
            case "/b/silently-closes" -> Reply.thenClose("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ngone");
            case "/b/many-hints" -> Reply.keepAlive(HINT.repeat(HINTS) + "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfinal");
            case "/b/big" -> Reply.keepAlive("HTTP/1.1 200 OK\r\nContent-Length: " + BIG + "\r\n\r\n" + BIG_BODY);
            case "/b/echo" -> {
                String body = "got:" + r.rawBody();
                yield Reply.keepAlive("HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
            }
            default -> {
                String body = "ok " + path;
                yield Reply.keepAlive("HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
            }
        };
    }

    @Test
    void expectContinueGetsA100BeforeTheBodyIsSentAndTheBodyReachesTheBackend() throws Exception {
        try (Socket s = socket()) {
            OutputStream out = s.getOutputStream();
            out.write(("POST /b/echo HTTP/1.1\r\nHost: gw\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            String interim = readHead(s.getInputStream());
            assertTrue(interim.startsWith("HTTP/1.1 100"), interim);
            out.write("hello".getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            String answer = readResponse(s.getInputStream());
            assertTrue(answer.startsWith("HTTP/1.1 200"), answer);
            assertEquals("got:hello", RawHttp.body(answer));
        }
        Received r = last();
        assertEquals(null, r.header("Expect"), "the gateway answered the expectation itself");
    }

    @Test
    void aHeadResponseHasNoBodyButKeepsItsHeadersAndTheConnectionServesTheNextRequest() throws Exception {
        try (Socket s = socket()) {
            send(s, "HEAD /b/head HTTP/1.1\r\nHost: gw\r\n\r\n");
            String head = readHead(s.getInputStream());
            assertTrue(head.startsWith("HTTP/1.1 200") && head.contains("X-Head: yes"), head);
            assertTrue(head.contains("Content-Length: 5"), head);
            send(s, get("/b/after-head"));
            String next = readResponse(s.getInputStream());
            assertTrue(next.startsWith("HTTP/1.1 200") && next.endsWith("ok /b/after-head"), "no stray body: " + next);
        }
    }

    @Test
    void responses204And304AndInterim1xxCarryNoBody() throws Exception {
        try (Socket s = socket()) {
            send(s, get("/b/204"));
            String noContent = readHead(s.getInputStream());
            assertTrue(noContent.startsWith("HTTP/1.1 204") && noContent.contains("X-Empty: yes"), noContent);
            assertFalse(noContent.toLowerCase().contains("transfer-encoding"), noContent);
            send(s, get("/b/304"));
            String notModified = readHead(s.getInputStream());
            assertTrue(notModified.startsWith("HTTP/1.1 304") && notModified.contains("ETag: \"v1\""), notModified);
            send(s, get("/b/early-hints"));
            String hints = readHead(s.getInputStream());
            assertTrue(hints.startsWith("HTTP/1.1 103") && hints.contains("Link: </s.css>"), hints);
            String fin = readResponse(s.getInputStream());
            assertTrue(fin.startsWith("HTTP/1.1 200") && fin.endsWith("final"), fin);
            send(s, get("/b/after"));
            assertTrue(readResponse(s.getInputStream()).endsWith("ok /b/after"), "the connection is still in step");
        }
    }

    @Test
    void aChunkedResponseWithTrailersIsRelayedChunkedWithItsTrailers() throws Exception {
        String r = RawHttp.exchange(f.port(), get("/b/chunked"));
        assertTrue(r.startsWith("HTTP/1.1 200") && r.contains("Transfer-Encoding: chunked"), r);
        String body = RawHttp.body(r);
        assertTrue(body.contains("abc") && body.contains("defg"), body);
        assertTrue(body.endsWith("0\r\nX-Sum: 42\r\n\r\n"), "trailer relayed: " + body);
    }

    @Test
    void aChunkedRequestWithTrailersReachesTheBackendChunkedWithItsTrailers() throws Exception {
        String r = RawHttp.exchange(f.port(), "POST /b/echo HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "3\r\nabc\r\n2\r\nde\r\n0\r\nX-Req-Sum: 7\r\n\r\n");
        assertTrue(r.startsWith("HTTP/1.1 200"), r);
        Received received = last();
        assertEquals("chunked", received.header("Transfer-Encoding"));
        assertTrue(received.rawBody().contains("abc") && received.rawBody().contains("de"), received.rawBody());
        assertTrue(received.rawBody().endsWith("0\r\nX-Req-Sum: 7\r\n\r\n"), received.rawBody());
    }

    @Test
    void anHttp10ClientGetsAClosedConnectionOrKeepAliveAsItAsked() throws Exception {
        String plain = RawHttp.exchange(f.port(), "GET /b/one HTTP/1.0\r\nHost: gw\r\n\r\n");
        assertTrue(plain.startsWith("HTTP/1.1 200") && plain.contains("Connection: close"), plain);
        try (Socket s = socket()) {
            send(s, "GET /b/ka1 HTTP/1.0\r\nHost: gw\r\nConnection: keep-alive\r\n\r\n");
            String first = readResponse(s.getInputStream());
            assertTrue(first.contains("Connection: keep-alive") && first.endsWith("ok /b/ka1"), first);
            send(s, "GET /b/ka2 HTTP/1.0\r\nHost: gw\r\nConnection: keep-alive\r\n\r\n");
            assertTrue(readResponse(s.getInputStream()).endsWith("ok /b/ka2"));
        }
        String chunkedTo10 = RawHttp.exchange(f.port(), "GET /b/chunked HTTP/1.0\r\nHost: gw\r\n\r\n");
        assertFalse(chunkedTo10.contains("Transfer-Encoding"), "HTTP/1.0 has no chunked coding: " + chunkedTo10);
        assertEquals("abcdefg", RawHttp.body(chunkedTo10));
    }

    @Test
    void aBackendAnsweringBeforeTheBodyArrivedLeavesTheClientConnectionServingTheNextRequest() throws Exception {
        try (Socket s = socket()) {
            send(s, "POST /early/upload HTTP/1.1\r\nHost: gw\r\nContent-Length: 4\r\n\r\n");
            String answer = readResponse(s.getInputStream());
            assertTrue(answer.startsWith("HTTP/1.1 200") && answer.endsWith("early /early/upload\n"), answer);
            assertFalse(answer.contains("Connection: close"), answer);
            send(s, "body" + get("/early/next"));
            String next = readResponse(s.getInputStream());
            assertTrue(next.startsWith("HTTP/1.1 200") && next.endsWith("early /early/next\n"),
                    "the body sent after the answer was read and dropped, not taken for a request: " + next);
        }
    }

    @Test
    void connectionCloseFromTheClientClosesAfterTheResponseAndFromTheBackendOnlyTheUpstream() throws Exception {
        try (Socket s = socket()) {
            send(s, "GET /b/c HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n");
            String r = readResponse(s.getInputStream());
            assertTrue(r.contains("Connection: close") && r.endsWith("ok /b/c"), r);
            assertEquals(-1, s.getInputStream().read(), "the gateway closed the connection");
        }
        try (Socket s = socket()) {
            send(s, get("/b/backend-closes"));
            String r = readResponse(s.getInputStream());
            assertTrue(r.endsWith("bye") && !r.contains("Connection: close"), r);
            send(s, get("/b/after-backend-closed"));
            assertTrue(readResponse(s.getInputStream()).endsWith("ok /b/after-backend-closed"),
                    "the client's connection outlives the backend's");
            send(s, get("/b/until-close"));
            String streamed = readResponse(s.getInputStream());
            assertTrue(streamed.contains("Transfer-Encoding: chunked") && streamed.contains("streamed-to-eof"),
                    "a close-delimited body is chunked to an HTTP/1.1 client: " + streamed);
            send(s, get("/b/still-open"));
            assertTrue(readResponse(s.getInputStream()).endsWith("ok /b/still-open"));
        }
    }

    @Test
    void anAbsoluteFormTargetIsRoutedOnItsPathAndForwardedInOriginForm() throws Exception {
        String r = RawHttp.exchange(f.port(), "GET http://gw/b/absolute?x=1 HTTP/1.1\r\nHost: gw\r\n\r\n");
        assertTrue(r.startsWith("HTTP/1.1 200") && r.endsWith("ok /b/absolute"), r);
        assertEquals("GET /b/absolute?x=1 HTTP/1.1", last().requestLine());
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws Exception {
        try (Socket s = socket()) {
            send(s, get("/b/p1") + "POST /b/echo HTTP/1.1\r\nHost: gw\r\nContent-Length: 3\r\n\r\nxyz" + get("/b/p3"));
            InputStream in = s.getInputStream();
            assertTrue(readResponse(in).endsWith("ok /b/p1"));
            assertTrue(readResponse(in).endsWith("got:xyz"));
            assertTrue(readResponse(in).endsWith("ok /b/p3"));
        }
    }

    /** The client sends its requests and closes its side at once: every answer still reaches it, then the close. */
    @Test
    void aClientThatClosesItsSideAfterItsRequestsGetsEveryAnswerFirst() throws Exception {
        try (Socket s = socket()) {
            send(s, get("/b/h1") + get("/b/h2"));
            s.shutdownOutput();
            InputStream in = s.getInputStream();
            assertTrue(readResponse(in).endsWith("ok /b/h1"));
            assertTrue(readResponse(in).endsWith("ok /b/h2"));
            assertEquals(-1, in.read(), "then the gateway closed the connection");
        }
    }

    /**
     * An answer far bigger than the sockets hold goes out only as fast as a slow client reads it, the gateway's
     * writes pending and its reads from the backend paused meanwhile; the requests pipelined behind it, one sent
     * before and one while it drains, are answered in order after it, and the connection goes on serving.
     */
    @Test
    void requestsBehindAnAnswerStillDrainingToASlowReaderAreAnsweredInOrder() throws Exception {
        try (Socket s = slowReader()) {
            send(s, get("/b/big") + get("/b/after1"));
            InputStream in = s.getInputStream();
            String head = readHead(in);
            assertTrue(head.startsWith("HTTP/1.1 200") && head.contains("Content-Length: " + BIG), head);
            byte[] some = in.readNBytes(64 * 1024);
            Thread.sleep(500); // the backend has answered whole by now; the gateway waits on this client
            send(s, get("/b/after2"));
            byte[] rest = in.readNBytes(BIG - some.length);
            assertEquals(BIG - some.length, rest.length);
            assertTrue(rest[rest.length - 1] == 'b' && some[0] == 'b');
            assertTrue(readResponse(in).endsWith("ok /b/after1"));
            assertTrue(readResponse(in).endsWith("ok /b/after2"));
            send(s, get("/b/after3"));
            assertTrue(readResponse(in).endsWith("ok /b/after3"), "the connection still serves");
        }
    }

    /**
     * A client that does not read while its backend sends interim answers until its socket is full: each 103 waits
     * for the one before it to go out, as the final answer does, and all arrive in order, the final one last.
     */
    @Test
    void interimAnswersToAClientWhoseSocketIsFullWaitTheirTurn() throws Exception {
        try (Socket s = slowReader()) {
            send(s, get("/b/many-hints"));
            Thread.sleep(1_000); // the backend sent every hint; what the gateway relayed fills the client's socket
            InputStream in = new java.io.BufferedInputStream(s.getInputStream(), 64 * 1024);
            int hints = 0;
            String head;
            while ((head = readHead(in)).startsWith("HTTP/1.1 103")) {
                hints++;
            }
            assertEquals(HINTS, hints, "every interim answer, in order, before the final one");
            assertTrue(head.startsWith("HTTP/1.1 200") && head.contains("Content-Length: 5"), head);
            assertEquals("final", new String(in.readNBytes(5), StandardCharsets.ISO_8859_1));
        }
    }

    @Test
    void aPooledConnectionTheBackendClosedWhileIdleIsRetriedOnAFreshOneNeverA502() throws Exception {
        try (Socket s = socket()) {
            for (int i = 0; i < 300; i++) {
                send(s, get("/b/silently-closes"));
                String r = readResponse(s.getInputStream());
                assertTrue(r.startsWith("HTTP/1.1 200") && r.endsWith("gone"), "round " + i + ": " + r);
            }
        }
        assertTrue(backend.connections() >= 40, "each answer came on a fresh backend connection");
    }

    // ---- raw HTTP helpers ---------------------------------------------------------------------------------------

    private static String get(String path) {
        return "GET " + path + " HTTP/1.1\r\nHost: gw\r\n\r\n";
    }

    private static Received last() {
        List<Received> all = backend.received();
        assertFalse(all.isEmpty());
        return all.get(all.size() - 1);
    }

    /** A client socket with a small receive buffer, for a client that reads slowly or not at all. */
    private static Socket slowReader() throws Exception {
        Socket s = new Socket();
        s.setReceiveBufferSize(4096);
        s.connect(new java.net.InetSocketAddress("127.0.0.1", f.port()));
        s.setSoTimeout(10_000);
        return s;
    }

    private static Socket socket() throws Exception {
        Socket s = new Socket("127.0.0.1", f.port());
        s.setSoTimeout(5_000);
        return s;
    }

    private static void send(Socket s, String request) throws Exception {
        s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
        s.getOutputStream().flush();
    }

    /** Reads one response head, through its blank line. */
    private static String readHead(InputStream in) throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int matched = 0;
        for (int b; (b = in.read()) >= 0; ) {
            buf.write(b);
            matched = (b == '\r' && matched % 2 == 0) || (b == '\n' && matched % 2 == 1) ? matched + 1 : 0;
            if (matched == 4) {
                return buf.toString(StandardCharsets.ISO_8859_1);
            }
        }
        return buf.toString(StandardCharsets.ISO_8859_1);
    }

    /** Reads one whole response: head, then a Content-Length or chunked body. */
    private static String readResponse(InputStream in) throws Exception {
        String head = readHead(in);
        assertNotNull(head);
        String lower = head.toLowerCase();
        StringBuilder body = new StringBuilder();
        if (lower.contains("transfer-encoding: chunked")) {
            while (true) {
                String size = readLine(in);
                int n = Integer.parseInt(size.trim(), 16);
                if (n == 0) {
                    String line;
                    while (!(line = readLine(in)).isEmpty()) {
                        body.append(line).append("\n");
                    }
                    break;
                }
                body.append(new String(in.readNBytes(n), StandardCharsets.ISO_8859_1));
                readLine(in);
            }
        } else {
            int at = lower.indexOf("content-length:");
            if (at >= 0) {
                int n = Integer.parseInt(lower.substring(at + 15, lower.indexOf("\r\n", at)).trim());
                body.append(new String(in.readNBytes(n), StandardCharsets.ISO_8859_1));
            }
        }
        return head + body;
    }

    private static String readLine(InputStream in) throws Exception {
        StringBuilder sb = new StringBuilder();
        for (int b; (b = in.read()) >= 0; ) {
            if (b == '\n') {
                return sb.toString().replace("\r", "");
            }
            sb.append((char) b);
        }
        throw new SocketTimeoutException("stream ended inside a line: " + sb);
    }
}
