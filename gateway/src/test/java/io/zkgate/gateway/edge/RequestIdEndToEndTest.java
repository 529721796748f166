package io.zkgate.gateway.edge;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.gateway.support.GatewayFixture;
import io.zkgate.gateway.support.RawHttp;
import io.zkgate.gateway.support.ScriptedBackend;
import io.zkgate.gateway.support.ScriptedBackend.Received;
import io.zkgate.gateway.support.ScriptedBackend.Reply;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Request ids and W3C trace context through the real gateway: present upstream, in the response, in the access log
 * and in error bodies (a 404 of no route, and a 502 the front door makes after the decision), kept when well-formed
 * and replaced when not.
 */
class RequestIdEndToEndTest {
    private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String PARENT = "00-" + TRACE + "-00f067aa0ba902b7-01";
    private static final String HEX32 = "[0-9a-f]{32}";
    @TempDir
    static Path dir;
    private static Path accessLog;
    private static GatewayFixture f;
    private static ScriptedBackend backend;

    @BeforeAll
    static void start() throws Exception {
        accessLog = dir.resolve("access.log");
        f = new GatewayFixture("--access-log", accessLog.toString());
        backend = f.closeLater(ScriptedBackend.start(r -> Reply.keepAlive(
                "HTTP/1.1 200 OK\r\nX-Request-Id: from-backend\r\nContent-Length: 2\r\n\r\nok")));
        f.writer.register("ok", "1", backend.port(), 1);
        f.writer.putRoute("ok", "{\"id\":\"ok\",\"match\":{\"pathPrefix\":\"/ok\"},\"service\":\"ok\"}");
        try (ServerSocket closed = new ServerSocket(0)) {
            f.writer.register("down", "1", closed.getLocalPort(), 1);
        }
        f.writer.putRoute("down", "{\"id\":\"down\",\"match\":{\"pathPrefix\":\"/down\"},\"service\":\"down\","
                + "\"retries\":{\"attempts\":0}}");
        await().atMost(Duration.ofSeconds(10)).until(() -> RawHttp.status(get("/ok/warm", "")) == 200
                && RawHttp.status(get("/down/warm", "")) == 502);
    }

    @AfterAll
    static void stop() throws Exception {
        f.close();
    }

    @Test
    void aWellFormedRequestIdAndTraceparentGoUpstreamBackAndIntoTheAccessLogWithTheGatewayAsAHop() throws Exception {
        String r = get("/ok/kept", "X-Request-Id: order-42.A_b\r\ntraceparent: " + PARENT
                + "\r\ntracestate: vendor=abc\r\n");
        assertEquals(200, RawHttp.status(r));
        assertEquals(List.of("order-42.A_b"), RawHttp.headers(r, "X-Request-Id"), "the gateway's, not the backend's");
        Received up = last();
        assertEquals("order-42.A_b", up.header("X-Request-Id"));
        String sent = up.header("traceparent");
        assertTrue(sent.matches("00-" + TRACE + "-[0-9a-f]{16}-01"), sent);
        assertNotEquals(PARENT, sent, "the gateway is a hop: a new span id in the same trace");
        assertEquals("vendor=abc", up.header("tracestate"), "tracestate goes along unchanged");
        assertEquals(sent, RawHttp.header(r, "traceparent"), "the client learns the gateway's span too");
        String line = logLine("/ok/kept");
        assertTrue(line.endsWith(" order-42.A_b " + TRACE), line);
    }

    @Test
    void malformedOrAbsentIdsAreReplacedAndAStrayTracestateIsDropped() throws Exception {
        for (String bad : List.of("has space", "x".repeat(129), "semi;colon", "")) {
            String r = get("/ok/bad", "X-Request-Id: " + bad + "\r\n");
            String id = RawHttp.header(r, "X-Request-Id");
            assertTrue(id.matches(HEX32), "'" + bad + "' replaced by " + id);
            assertEquals(id, last().header("X-Request-Id"));
        }
        for (String bad : List.of("00-" + TRACE + "-00f067aa0ba902b7", "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
                "ff-" + TRACE + "-00f067aa0ba902b7-01", "00-" + TRACE.toUpperCase() + "-00f067aa0ba902b7-01",
                "00-" + TRACE + "-0000000000000000-01", "00-" + TRACE + "-00f067aa0ba902b7-01-extra")) {
            String r = get("/ok/badtrace", "traceparent: " + bad + "\r\ntracestate: vendor=abc\r\n");
            Received up = last();
            String sent = up.header("traceparent");
            assertTrue(sent.matches("00-" + HEX32 + "-[0-9a-f]{16}-01"), sent);
            assertTrue(!sent.contains(TRACE) && !sent.contains(TRACE.toUpperCase()), "a new trace for " + bad);
            assertNull(up.header("tracestate"), "a tracestate without a valid parent is dropped");
            assertEquals(sent, RawHttp.header(r, "traceparent"));
        }
        String none = get("/ok/none", "");
        String id = RawHttp.header(none, "X-Request-Id");
        assertTrue(id.matches(HEX32), id);
        assertNotEquals(id, RawHttp.header(get("/ok/none", ""), "X-Request-Id"), "each request its own id");
        String future = "01-" + TRACE + "-00f067aa0ba902b7-00-more";
        assertTrue(get("/ok/future", "traceparent: " + future + "\r\n").contains("traceparent: 00-" + TRACE + "-"),
                "a later version's traceparent is continued");
    }

    @Test
    void a502TheFrontDoorMakesAfterTheDecisionCarriesTheIdsInItsHeadersBodyAndLogLine() throws Exception {
        String r = get("/down/x", "X-Request-Id: failing-1\r\ntraceparent: " + PARENT + "\r\n");
        assertEquals(502, RawHttp.status(r), r);
        assertEquals("failing-1", RawHttp.header(r, "X-Request-Id"));
        assertTrue(RawHttp.header(r, "traceparent").startsWith("00-" + TRACE + "-"), r);
        String body = RawHttp.body(r);
        assertTrue(body.contains("\"error\":\"upstream_unreachable\""), body);
        assertTrue(body.contains("\"requestId\":\"failing-1\",\"traceId\":\"" + TRACE + "\"}"), body);
        assertTrue(logLine("/down/x").endsWith(" failing-1 " + TRACE), logLine("/down/x"));
    }

    @Test
    void aRequestThatMatchesNoRouteStillGetsAnIdInItsResponseAndBody() throws Exception {
        String r = get("/nowhere", "");
        assertEquals(404, RawHttp.status(r));
        String id = RawHttp.header(r, "X-Request-Id");
        assertTrue(id.matches(HEX32), r);
        assertTrue(RawHttp.body(r).contains("\"requestId\":\"" + id + "\""), r);
    }

    private static Received last() {
        return backend.received().get(backend.received().size() - 1);
    }

    private static String logLine(String path) throws Exception {
        await().atMost(Duration.ofSeconds(5)).until(() -> Files.readAllLines(accessLog).stream()
                .anyMatch(l -> l.contains(" " + path + " ")));
        return Files.readAllLines(accessLog).stream().filter(l -> l.contains(" " + path + " ")).reduce((a, b) -> b)
                .orElseThrow();
    }

    private static String get(String path, String headers) throws Exception {
        return RawHttp.exchange(f.port(), "GET " + path + " HTTP/1.1\r\nHost: h\r\n" + headers
                + "Connection: close\r\n\r\n");
    }
}
