package io.zkgate.gateway;

import static io.zkgate.gateway.support.Http.backendOf;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.zkgate.gateway.support.GatewayFixture;
import io.zkgate.gateway.support.Http;
import io.zkgate.gateway.support.RawHttp;
import io.zkgate.gateway.support.RefusedPort;
import io.zkgate.gateway.support.ScriptedBackend;
import io.zkgate.gateway.support.TestBackend;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code "mirror": {"service", "percent"}} through the real gateway on a real ZooKeeper: mirrors that are slow, hang,
 * fail or cannot be reached never show in the client's answers or timings, and every copy is counted.
 */
class MirrorEndToEndTest {
    /** Far above what a request to a fast local backend takes; far below the slow mirror's delay. */
    private static final long CLIENT_BOUND_MS = 1_500;
    private static final long MIRROR_DELAY_MS = 4_000;
    @AutoClose
    private static GatewayFixture f;

    @BeforeAll
    static void start() throws Exception {
        f = GatewayFixture.synced();
        TestBackend main = f.closeLater(TestBackend.start("mir-main"));
        f.writer.register("mir-main", "1", main.port(), 1);
    }

    private static void mirroredRoute(String id, String mirrorService, String extra) throws Exception {
        mirroredRoute(id, "mir-main", mirrorService, extra);
    }

    private static void mirroredRoute(String id, String service, String mirrorService, String extra)
            throws Exception {
        f.writer.putRoute(id, "{\"id\":\"" + id + "\",\"match\":{\"pathPrefix\":\"/" + id + "\"},\"service\":\""
                + service + "\",\"mirror\":{\"service\":\"" + mirrorService + "\"" + extra + "}}");
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            var e = f.gateway.snapshots().current().routes().entry(id);
            // the mirror's instance too: its service and the route are read by separate watches
            return e != null && e.mirror() != null && e.mirror().instances() == 1
                    && e.balancer().endpoints().length == 1;
        });
    }

    /** Sends {@code n} GETs and checks each was answered by the main backend well within {@link #CLIENT_BOUND_MS}. */
    private static void clientSeesOnlyTheMainBackend(String path, int n) {
        for (int i = 0; i < n; i++) {
            long start = System.nanoTime();
            HttpResponse<String> r = Http.get(f.port(), path);
            long ms = (System.nanoTime() - start) / 1_000_000;
            assertEquals(200, r.statusCode(), r.body());
            assertEquals("mir-main", backendOf(r));
            assertTrue(ms < CLIENT_BOUND_MS, path + " took " + ms + " ms: the mirror slowed the client");
        }
    }

    private static double mirrored(String route, String result) {
        Double v = Http.metric(f.adminPort(), "zkgate_mirror_requests_total{route=\"" + route + "\",result=\""
                + result + "\"}");
        return v == null ? 0 : v;
    }

    @Test
    void aSlowMirrorGetsEveryCopyWhileTheClientGetsTheMainBackendsAnswersAtItsOwnPace() throws Exception {
        TestBackend slow = f.closeLater(TestBackend.slow("mir-slow", MIRROR_DELAY_MS));
        f.writer.register("mir-slow", "1", slow.port(), 1);
        mirroredRoute("mslow", "mir-slow", "");
        await().atMost(Duration.ofSeconds(10)).until(() ->
                f.gateway.snapshots().current().routes().entry("mslow").mirror().instances() == 1);

        clientSeesOnlyTheMainBackend("/mslow/x", 10);
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertEquals(10, mirrored("mslow", "2xx")));
        assertEquals(10, slow.hits());
    }

    @Test
    void aHangingMirrorTimesOutOnItsOwnAndTheTimeoutsAreCounted() throws Exception {
        TestBackend hang = f.closeLater(TestBackend.stalling("mir-hang"));
        f.writer.register("mir-hang", "1", hang.port(), 1);
        f.writer.putRoute("mhang", "{\"id\":\"mhang\",\"match\":{\"pathPrefix\":\"/mhang\"},\"service\":\"mir-main\","
                + "\"timeouts\":{\"responseMs\":1000},\"mirror\":{\"service\":\"mir-hang\"}}");
        await().atMost(Duration.ofSeconds(10)).until(() ->
                f.gateway.snapshots().current().routes().entry("mhang").responseTimeoutMs() == 1000
                        && f.gateway.snapshots().current().routes().entry("mhang").mirror().instances() == 1);

        clientSeesOnlyTheMainBackend("/mhang/x", 10);
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertEquals(10, mirrored("mhang", "timeout")));
        assertEquals(0, mirrored("mhang", "2xx"));
    }

    @Test
    void aFailingAndAnUnreachableMirrorAreCountedAndNeverReachTheClient() throws Exception {
        TestBackend failing = f.closeLater(TestBackend.answering("mir-500", 500));
        f.writer.register("mir-500", "1", failing.port(), 1);
        f.writer.register("mir-gone", "1", f.closeLater(new RefusedPort()).port(), 1);
        mirroredRoute("merr", "mir-500", "");
        mirroredRoute("mgone", "mir-gone", "");

        clientSeesOnlyTheMainBackend("/merr/x", 10);
        clientSeesOnlyTheMainBackend("/mgone/x", 10);
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            assertEquals(10, mirrored("merr", "5xx"));
            assertEquals(10, mirrored("mgone", "error"));
        });
        assertEquals(10, failing.hits());
    }

    @Test
    void tenPercentCopiesExactlyOneRequestInTen() throws Exception {
        TestBackend shadow = f.closeLater(TestBackend.start("mir-ten"));
        f.writer.register("mir-ten", "1", shadow.port(), 1);
        mirroredRoute("mten", "mir-ten", ",\"percent\":10");

        clientSeesOnlyTheMainBackend("/mten/x", 100);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertEquals(10, shadow.hits()));
        assertEquals(10, mirrored("mten", "2xx"));
    }

    @Test
    void adminRoutesShowsARoutesMirrorWithItsServicePercentAndInstances() throws Exception {
        TestBackend shadow = f.closeLater(TestBackend.start("mir-shown"));
        f.writer.register("mir-shown", "1", shadow.port(), 1);
        mirroredRoute("mshown", "mir-shown", ",\"percent\":10");

        JsonNode shown = null;
        for (JsonNode r : Http.json(f.adminPort(), "/admin/routes").get("routes")) {
            if (r.get("id").asText().equals("mshown")) {
                shown = r.get("mirror");
            }
        }
        assertNotNull(shown);
        assertEquals("mir-shown", shown.get("service").asText());
        assertEquals(10.0, shown.get("percent").asDouble());
        assertEquals(1, shown.get("instances").asInt());
    }

    @Test
    void aCopyCarriesTheMethodPathQueryBodyAndForwardedHeaders() throws Exception {
        ScriptedBackend shadow = shadowOf("mbody", "mir-body");

        HttpResponse<String> r = Http.send("POST", f.port(), "/mbody/orders?x=1", Map.of());
        assertEquals(200, r.statusCode());
        assertEquals("mir-main", backendOf(r));
        await().atMost(Duration.ofSeconds(10)).until(() -> shadow.received().size() == 1);
        ScriptedBackend.Received copy = shadow.received().get(0);
        assertEquals("POST /mbody/orders?x=1 HTTP/1.1", copy.requestLine());
        assertEquals("body", copy.rawBody());
        assertNotNull(copy.header("X-Forwarded-For"), copy.head());
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertEquals(1, mirrored("mbody", "2xx")));
    }

    @Test
    void aRequestThatExpects100ContinueIsCopiedWithItsBody() throws Exception {
        ScriptedBackend shadow = shadowOf("mexpect", "mir-expect");

        try (Socket s = new Socket("127.0.0.1", f.port())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(("POST /mexpect/orders HTTP/1.1\r\nHost: gw\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n"
                    + "Expect: 100-continue\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            // a 100, or the backend's answer already (it does not read the body): the client then sends it anyway
            String first = RawHttp.readThrough(in, "\r\n\r\n");
            out.write("body".getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            String answer = first.startsWith("HTTP/1.1 100") ? RawHttp.readThrough(in, "\r\n\r\n") : first;
            assertTrue(answer.startsWith("HTTP/1.1 200"), answer);
            assertTrue(answer.toLowerCase(Locale.ROOT).contains("x-backend: mir-main"), answer);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> shadow.received().size() == 1);
        ScriptedBackend.Received copy = shadow.received().get(0);
        assertEquals("POST /mexpect/orders HTTP/1.1", copy.requestLine());
        assertEquals("body", copy.rawBody());
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertEquals(1, mirrored("mexpect", "2xx")));
        assertEquals(0, mirrored("mexpect", "body_too_large"));
    }

    @Test
    void aRequestResentBecauseItsPooledConnectionWasClosedIsCopiedOnce() throws Exception {
        // each connection answers its first request and closes on its second without a byte, so every reuse is stale
        Set<Integer> served = ConcurrentHashMap.newKeySet();
        ScriptedBackend closing = f.closeLater(ScriptedBackend.start(r -> served.add(r.connection())
                ? ScriptedBackend.Reply.keepAlive("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                : new ScriptedBackend.Reply("", true)));
        f.writer.register("mir-closing", "1", closing.port(), 1);
        ScriptedBackend shadow = f.closeLater(ScriptedBackend.start(req -> ScriptedBackend.Reply.keepAlive(
                "HTTP/1.1 204 No Content\r\n\r\n")));
        f.writer.register("mir-once", "1", shadow.port(), 1);
        mirroredRoute("monce", "mir-closing", "mir-once", "");

        for (int i = 0; i < 6; i++) {
            assertEquals(200, Http.get(f.port(), "/monce/" + i).statusCode());
        }
        assertTrue(closing.received().size() > closing.connections(), "a pooled connection was met closed");
        await().atMost(Duration.ofSeconds(10)).until(() -> shadow.received().size() >= 6);
        Thread.sleep(300);
        assertEquals(6, shadow.received().size(), "one copy per client request, not per send");
    }

    /** A mirror backend, as service {@code service} of route {@code id}'s mirror: records each copy, answers 204. */
    private static ScriptedBackend shadowOf(String id, String service) throws Exception {
        ScriptedBackend shadow = f.closeLater(ScriptedBackend.start(req -> ScriptedBackend.Reply.keepAlive(
                "HTTP/1.1 204 No Content\r\n\r\n")));
        f.writer.register(service, "1", shadow.port(), 1);
        mirroredRoute(id, service, "");
        return shadow;
    }

    @Test
    void copiesBeyondTheInFlightBoundAreDroppedAndCounted() throws Exception {
        int bound = 8;
        try (GatewayFixture g = new GatewayFixture("--mirror-max-in-flight", Integer.toString(bound))) {
            g.awaitSynced();
            TestBackend main = g.closeLater(TestBackend.start("main"));
            TestBackend hang = g.closeLater(TestBackend.stalling("hang"));
            g.writer.register("main", "1", main.port(), 1);
            g.writer.register("hang", "1", hang.port(), 1);
            g.writer.putRoute("bound", "{\"id\":\"bound\",\"match\":{\"pathPrefix\":\"/bound\"},\"service\":\"main\","
                    + "\"timeouts\":{\"responseMs\":60000},\"mirror\":{\"service\":\"hang\"}}");
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                var e = g.gateway.snapshots().current().routes().entry("bound");
                return e != null && e.mirror() != null && e.mirror().instances() == 1
                        && e.balancer().endpoints().length == 1;
            });
            int extra = 12;
            for (int i = 0; i < bound + extra; i++) {
                assertEquals(200, Http.get(g.port(), "/bound/x").statusCode());
            }
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertEquals((double) extra,
                    Http.metric(g.adminPort(), "zkgate_mirror_requests_total{route=\"bound\",result=\"dropped\"}")));
            assertEquals((double) bound, Http.metric(g.adminPort(), "zkgate_mirror_in_flight"));
        }
    }
}
