package io.zkgate.gateway.edge;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.gateway.routing.RequestTracing;
import io.zkgate.gateway.support.GatewayFixture;
import io.zkgate.gateway.support.RawHttp;
import io.zkgate.gateway.support.RefusedPort;
import io.zkgate.gateway.support.ScriptedBackend;
import io.zkgate.gateway.support.ScriptedBackend.Received;
import io.zkgate.gateway.support.ScriptedBackend.Reply;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Request ids and W3C trace context through the real gateway: present upstream, in the response, in the access log
 * and in error bodies (a 404 of no route, a 502 the front door makes after the decision, and the 400s and 431s made
 * before routing), kept when well-formed and replaced when not.
 */
class RequestIdEndToEndTest {
    private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String PARENT = "00-" + TRACE + "-00f067aa0ba902b7-01";
    private static final String HEX32 = "[0-9a-f]{32}";
    @TempDir
    static Path dir;
    private static Path accessLog;
    @AutoClose
    private static GatewayFixture f;
    private static ScriptedBackend backend;

    @BeforeAll
    static void start() throws Exception {
        accessLog = dir.resolve("access.log");
        f = new GatewayFixture("--access-log", accessLog.toString(), "--max-request-header-bytes", "4096");
        backend = f.closeLater(ScriptedBackend.start(r -> Reply.keepAlive(
                "HTTP/1.1 200 OK\r\nX-Request-Id: from-backend\r\nContent-Length: 2\r\n\r\nok")));
        f.writer.register("ok", "1", backend.port(), 1);
        f.writer.putRoute("ok", "{\"id\":\"ok\",\"match\":{\"pathPrefix\":\"/ok\"},\"service\":\"ok\"}");
        f.writer.register("down", "1", f.closeLater(new RefusedPort()).port(), 1);
        f.writer.putRoute("down", "{\"id\":\"down\",\"match\":{\"pathPrefix\":\"/down\"},\"service\":\"down\","
                + "\"retries\":{\"attempts\":0}}");
        f.writer.putRoute("quiet", "{\"id\":\"quiet\",\"match\":{\"pathPrefix\":\"/quiet\"},\"service\":\"ok\","
                + "\"requestIds\":false}");
        await().atMost(Duration.ofSeconds(10)).until(() -> RawHttp.status(get("/ok/warm", "")) == 200
                && RawHttp.status(get("/down/warm", "")) == 502 && RawHttp.status(get("/quiet/warm", "")) == 200);
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
    void aRouteWithRequestIdsOffIsLeftAloneWhileTheGatewaysOtherRoutesGetThem() throws Exception {
        String r = get("/quiet/none", "");
        assertEquals(200, RawHttp.status(r));
        assertEquals(List.of("from-backend"), RawHttp.headers(r, "X-Request-Id"), "the backend's own, untouched");
        assertNull(RawHttp.header(r, "traceparent"));
        assertNull(last().header("X-Request-Id"));
        assertNull(last().header("traceparent"));
        assertTrue(logLine("/quiet/none").endsWith(" - -"), logLine("/quiet/none"));
        get("/quiet/sent", "X-Request-Id: has space\r\ntraceparent: " + PARENT + "\r\ntracestate: vendor=abc\r\n");
        Received up = last();
        assertEquals("has space", up.header("X-Request-Id"), "a client's header passes as any other would");
        assertEquals(PARENT, up.header("traceparent"), "no hop");
        assertEquals("vendor=abc", up.header("tracestate"));
        assertTrue(RawHttp.header(get("/ok/next", ""), "X-Request-Id").matches(HEX32), "the other routes keep ids");
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

    @Test
    void aPathRefusedBeforeRoutingKeepsTheClientsIdsInItsHeadersBodyAndLogLine() throws Exception {
        int kept = 0;
        for (String path : List.of("/ok/../../etc", "/ok/a%00b", "/ok/%zz", "/ok;x/y", "/ok/%2e%2e/%2e%2e/x",
                "/ok/%252e%252e/x", "/ok/x%5C..%5Cy")) {
            String r = get(path, "X-Request-Id: badpath-1\r\ntraceparent: " + PARENT + "\r\n");
            assertEquals(400, RawHttp.status(r), path + ": " + r);
            String body = RawHttp.body(r);
            assertTrue(body.contains("\"error\":\"bad_path\""), body);
            String id = RawHttp.header(r, "X-Request-Id");
            String trace = RawHttp.header(r, "traceparent").substring(3, 35);
            assertTrue(body.endsWith(",\"requestId\":\"" + id + "\",\"traceId\":\"" + trace + "\"}\n"), body);
            // The servlet engine's Jetty refuses a target it cannot decode in the request line, before any header is
            // read: that answer gets new ids. Every refusal made with the headers read keeps the client's.
            if (!body.contains("it cannot be decoded or climbs above the root")) {
                assertEquals("badpath-1", id, path + ": " + r);
                assertEquals(TRACE, trace, path + ": " + r);
                kept++;
            }
        }
        assertTrue(kept >= 1, "the gateway's own canonicalizer refused " + kept + " of them");
        String fresh = get("/ok/a%00c", "");
        String id = RawHttp.header(fresh, "X-Request-Id");
        assertTrue(id.matches(HEX32), fresh);
        assertTrue(RawHttp.body(fresh).contains("\"requestId\":\"" + id + "\",\"traceId\":\""), fresh);
        String trace = RawHttp.header(fresh, "traceparent").substring(3, 35);
        await().atMost(Duration.ofSeconds(5)).until(() -> Files.readAllLines(accessLog).stream()
                .anyMatch(l -> l.contains(" 400 ") && l.endsWith(" " + id + " " + trace)));
    }

    @Test
    void messagesTheHttpParserRefusesCarryARequestIdInTheirHeadersAndBody() throws Exception {
        String tooBig = get("/ok/big", "X-Request-Id: big-1\r\nX-Big: " + "a".repeat(6000) + "\r\n");
        assertEquals(431, RawHttp.status(tooBig), tooBig);
        assertParserRefusal(tooBig, "header_too_large");
        String malformed = RawHttp.exchange(f.port(), "GET /ok/x HTTP/1.1 extra\r\nHost: h\r\n\r\n");
        assertEquals(400, RawHttp.status(malformed), malformed);
        assertParserRefusal(malformed, "bad_request");
        String smuggling = RawHttp.exchange(f.port(), "POST /ok/x HTTP/1.1\r\nHost: h\r\nX-Request-Id: smuggle-1\r\n"
                + "Content-Length: 4\r\nContent-Length: 5\r\n\r\nabcde");
        assertEquals(400, RawHttp.status(smuggling), smuggling);
        assertParserRefusal(smuggling, "bad_request");
    }

    /** The refusal's X-Request-Id (the client's if it got that far, else a new one) is the one in its body. */
    private static void assertParserRefusal(String r, String error) {
        String id = RawHttp.header(r, "X-Request-Id");
        assertTrue(id != null && RequestTracing.wellFormedRequestId(id), r);
        String body = RawHttp.body(r);
        assertTrue(body.startsWith("{\"status\":" + RawHttp.status(r) + ",\"error\":\"" + error + "\",\"route\":null,"),
                body);
        assertTrue(body.matches(".*,\"requestId\":\"" + id + "\",\"traceId\":\"" + HEX32 + "\"}\n"), body);
        assertTrue(RawHttp.header(r, "traceparent").matches("00-" + HEX32 + "-[0-9a-f]{16}-01"), r);
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
