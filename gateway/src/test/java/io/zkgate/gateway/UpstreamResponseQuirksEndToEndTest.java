package io.zkgate.gateway;

import static io.zkgate.gateway.support.ZkWriter.route;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.gateway.support.GatewayFixture;
import io.zkgate.gateway.support.RawHttp;
import io.zkgate.gateway.support.ScriptedBackend;
import io.zkgate.gateway.support.ScriptedBackend.Received;
import io.zkgate.gateway.support.ScriptedBackend.Reply;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Backend answers that real servers send and a proxy must carry or refuse cleanly, on both engines (the servlet
 * engine through the build's servlet-engine run): interim 102 and 103 answers before the final one (the servlet
 * engine took them for the final answer and hung past the response timeout), a 204 that declares a length, response
 * heads larger than Jetty's 8 KB default (forwarded up to 64 KB, a 502 above), and an error message free of the
 * HTTP client's connection internals. Raw sockets on the client side, a scripted backend on the other.
 */
class UpstreamResponseQuirksEndToEndTest {
    private static final String BIG_VALUE = "v".repeat(20_000);
    @AutoClose
    private static GatewayFixture f;
    private static ScriptedBackend backend;

    @BeforeAll
    static void start() throws Exception {
        f = new GatewayFixture();
        backend = f.closeLater(ScriptedBackend.start(UpstreamResponseQuirksEndToEndTest::answer));
        f.writer.register("quirks", "1", backend.port(), 1);
        f.writer.putRoute("quirks", route("quirks", "/q", "quirks"));
        await().atMost(Duration.ofSeconds(15)).until(() -> RawHttp.exchange(f.port(), get("/q/plain"))
                .startsWith("HTTP/1.1 200"));
    }

    private static Reply answer(Received r) {
        String path = r.requestLine().split(" ")[1];
        String fin = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfinal";
        return switch (path) {
            case "/q/hints" -> Reply.keepAlive("HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n" + fin);
            case "/q/processing" -> Reply.keepAlive("HTTP/1.1 102 Processing\r\n\r\n".repeat(2) + fin);
            case "/q/204" -> Reply.keepAlive("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\nX-Empty: yes\r\n\r\n");
            case "/q/big-head" -> Reply.keepAlive("HTTP/1.1 200 OK\r\nX-Big: " + BIG_VALUE + "\r\n" + fin.substring(17));
            case "/q/huge-head" -> Reply.keepAlive("HTTP/1.1 200 OK\r\nX-Huge: " + "h".repeat(70_000) + "\r\n"
                    + fin.substring(17));
            case "/q/hangs-up" -> Reply.thenClose("");
            default -> Reply.keepAlive("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        };
    }

    @Test
    void anEarlyHintsAnswerReachesTheClientBeforeTheFinalOne() throws Exception {
        try (Socket s = socket()) {
            List<String> answers = exchange(s, "/q/hints");
            assertTrue(answers.get(0).startsWith("HTTP/1.1 103") && answers.get(0).contains("Link: </s.css>"),
                    answers.toString());
            assertTheFinalAnswerCameAndTheConnectionIsInStep(s, answers);
        }
    }

    @Test
    void processingAnswersDoNotEndTheExchange() throws Exception {
        try (Socket s = socket()) {
            assertTheFinalAnswerCameAndTheConnectionIsInStep(s, exchange(s, "/q/processing"));
        }
    }

    private static void assertTheFinalAnswerCameAndTheConnectionIsInStep(Socket s, List<String> answers)
            throws IOException {
        String last = answers.get(answers.size() - 1);
        assertTrue(last.startsWith("HTTP/1.1 200") && last.endsWith("final"), answers.toString());
        assertTrue(exchange(s, "/q/after").get(0).endsWith("ok"), "the connection is still in step");
    }

    @Test
    void a204ThatDeclaresALengthReachesTheClientWithoutOne() throws Exception {
        try (Socket s = socket()) {
            String noContent = exchange(s, "/q/204").get(0);
            assertTrue(noContent.startsWith("HTTP/1.1 204") && noContent.contains("X-Empty: yes"), noContent);
            assertFalse(noContent.toLowerCase(Locale.ROOT).contains("content-length: 5"), noContent);
            assertTrue(exchange(s, "/q/after").get(0).endsWith("ok"), "the connection is still in step");
        }
    }

    @Test
    void aResponseHeadOverJettysDefaultIsForwardedAndOneOver64KbIsA502() throws Exception {
        try (Socket s = socket()) {
            String big = exchange(s, "/q/big-head").get(0);
            assertTrue(big.startsWith("HTTP/1.1 200") && big.contains("X-Big: " + BIG_VALUE), big.substring(0, 40));
            String huge = exchange(s, "/q/huge-head").get(0);
            assertEquals(502, RawHttp.status(huge), huge);
            assertTrue(huge.contains("\"error\":\"upstream_unreachable\"") && huge.contains("malformed"), huge);
        }
    }

    @Test
    void aBackendThatHangsUpIsNamedInPlainWords() throws Exception {
        try (Socket s = socket()) {
            String refused = exchange(s, "/q/hangs-up").get(0);
            assertEquals(502, RawHttp.status(refused), refused);
            String body = RawHttp.body(refused);
            assertTrue(body.contains("\"message\":\"backend 127.0.0.1:" + backend.port()
                    + " failed: the backend closed the connection\""), body);
        }
    }

    private static Socket socket() throws IOException {
        Socket s = new Socket("127.0.0.1", f.port());
        s.setSoTimeout(10_000); // a hung exchange fails the read instead of the run
        return s;
    }

    /** Sends a GET and reads every answer to it: interim ones, then the final one with its body. */
    private static List<String> exchange(Socket s, String path) throws IOException {
        s.getOutputStream().write(get(path).getBytes(StandardCharsets.ISO_8859_1));
        InputStream in = s.getInputStream();
        List<String> answers = new ArrayList<>();
        while (true) {
            String head = RawHttp.readThrough(in, "\r\n\r\n");
            int status = RawHttp.status(head);
            if (status >= 100 && status < 200) {
                answers.add(head);
                continue;
            }
            String lower = head.toLowerCase(Locale.ROOT);
            int cl = lower.indexOf("content-length:");
            int length = status == 204 || status == 304 || cl < 0 ? 0
                    : Integer.parseInt(lower.substring(cl + 15, lower.indexOf("\r\n", cl)).trim());
            answers.add(head + new String(in.readNBytes(length), StandardCharsets.ISO_8859_1));
            return answers;
        }
    }

    private static String get(String path) {
        return "GET " + path + " HTTP/1.1\r\nHost: gateway\r\n\r\n";
    }
}
