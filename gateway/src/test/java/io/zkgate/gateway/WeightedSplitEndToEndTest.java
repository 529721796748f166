package io.zkgate.gateway;

import static io.zkgate.gateway.support.Http.backendOf;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.zkgate.gateway.support.GatewayFixture;
import io.zkgate.gateway.support.Http;
import io.zkgate.gateway.support.TestBackend;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code "backends": [{"service", "weight"}, ...]} through the real gateway on a real ZooKeeper: the measured split,
 * stickiness per user with the route's hash key, a side emptied and refilled, and what {@code /admin/routes} and
 * {@code /metrics} say.
 */
class WeightedSplitEndToEndTest {
    @AutoClose
    private static GatewayFixture f;

    @BeforeAll
    static void start() throws Exception {
        f = GatewayFixture.synced("--empty-service-grace-ms", "100");
    }

    private static TestBackend backend(String service) throws Exception {
        TestBackend b = f.closeLater(TestBackend.start(service));
        f.writer.register(service, "1", b.port(), 1);
        return b;
    }

    @Test
    void aFivePercentSideGetsFivePercentOfFourThousandRequestsWithinOneAndAHalfPoints() throws Exception {
        backend("split-v2");
        backend("split-v1");
        f.writer.putRoute("split", "{\"id\":\"split\",\"match\":{\"pathPrefix\":\"/split\"},\"backends\":["
                + "{\"service\":\"split-v2\",\"weight\":5},{\"service\":\"split-v1\",\"weight\":95}]}");
        await().atMost(Duration.ofSeconds(10)).until(() -> Http.get(f.port(), "/split/x").statusCode() == 200
                && f.gateway.snapshots().current().routes().entry("split").balancer().endpoints().length == 2);
        double v2Before = metric("split", "split-v2");
        double v1Before = metric("split", "split-v1");

        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < 4_000; i++) {
            HttpResponse<String> r = Http.get(f.port(), "/split/x");
            assertEquals(200, r.statusCode(), r.body());
            counts.merge(backendOf(r), 1, Integer::sum);
        }
        int v2 = counts.getOrDefault("split-v2", 0);
        assertEquals(4_000, v2 + counts.getOrDefault("split-v1", 0), counts.toString());
        double percent = v2 * 100.0 / 4_000;
        assertTrue(Math.abs(percent - 5.0) <= 1.5, "split-v2 got " + percent + "% " + counts);
        assertEquals(v2, metric("split", "split-v2") - v2Before, "zkgate_split_requests_total counts each side");
        assertEquals(4_000 - v2, metric("split", "split-v1") - v1Before);
    }

    @Test
    void withTheRoutesHashKeyEachUserStaysOnOneSideAndASideEmptiedGivesItsShareToTheOtherUntilRefilled()
            throws Exception {
        backend("sticky-a");
        TestBackend b = backend("sticky-b");
        f.writer.putRoute("sticky", "{\"id\":\"sticky\",\"match\":{\"pathPrefix\":\"/sticky\"},"
                + "\"lb\":{\"policy\":\"consistent_hash\",\"hashKey\":\"header:X-User\"},\"backends\":["
                + "{\"service\":\"sticky-a\",\"weight\":50},{\"service\":\"sticky-b\",\"weight\":50}]}");
        await().atMost(Duration.ofSeconds(10)).until(() -> Http.get(f.port(), "/sticky/x").statusCode() == 200
                && f.gateway.snapshots().current().routes().entry("sticky").balancer().endpoints().length == 2);

        Map<String, String> sideOf = new HashMap<>();
        for (int u = 0; u < 100; u++) {
            String user = "user-" + u;
            String first = backendOf(Http.get(f.port(), "/sticky/x", "X-User", user));
            for (int i = 0; i < 4; i++) {
                assertEquals(first, backendOf(Http.get(f.port(), "/sticky/x", "X-User", user)), user + " moved");
            }
            sideOf.put(user, first);
        }
        long onA = sideOf.values().stream().filter("sticky-a"::equals).count();
        assertTrue(onA > 25 && onA < 75, "users on sticky-a: " + onA + " of 100");

        f.writer.deregister("sticky-b", "1");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            JsonNode side = side("sticky", "sticky-b");
            assertTrue(side.get("emptied").asBoolean(), side.toString());
        });
        JsonNode emptied = side("sticky", "sticky-b");
        assertEquals(0.0, emptied.get("sharePercent").asDouble(), emptied.toString());
        assertTrue(emptied.get("note").asText().contains("its share goes to the other sides"), emptied.toString());
        assertEquals(100.0, side("sticky", "sticky-a").get("sharePercent").asDouble());
        for (String user : sideOf.keySet()) {
            HttpResponse<String> r = Http.get(f.port(), "/sticky/x", "X-User", user);
            assertEquals("sticky-a", backendOf(r), user + ": " + r.body());
        }

        f.writer.register("sticky-b", "1", b.port(), 1);
        await().atMost(Duration.ofSeconds(10)).until(() -> !side("sticky", "sticky-b").get("emptied").asBoolean());
        for (Map.Entry<String, String> e : sideOf.entrySet()) {
            assertEquals(e.getValue(), backendOf(Http.get(f.port(), "/sticky/x", "X-User", e.getKey())),
                    e.getKey() + " is back on its side");
        }
        assertEquals(50.0, side("sticky", "sticky-b").get("sharePercent").asDouble());
    }

    @Test
    void aSplitWithNoRoutableSideAnswers503NamingTheSides() throws Exception {
        f.writer.putRoute("split-none", "{\"id\":\"split-none\",\"match\":{\"pathPrefix\":\"/split-none\"},"
                + "\"backends\":[{\"service\":\"none-a\",\"weight\":1},{\"service\":\"none-b\",\"weight\":1}]}");
        await().atMost(Duration.ofSeconds(10)).until(() ->
                f.gateway.snapshots().current().routes().entry("split-none") != null);
        HttpResponse<String> r = Http.get(f.port(), "/split-none/x");
        assertEquals(503, r.statusCode());
        assertTrue(r.body().contains("\"error\":\"no_instances\"") && r.body().contains("none-a:1,none-b:1"),
                r.body());
    }

    @Test
    void editsWithBothServiceAndBackendsOrWeightsSummingToZeroAreRefusedAndTheLastGoodSplitServes() throws Exception {
        backend("edit-a");
        backend("edit-b");
        String good = "{\"id\":\"split-edit\",\"match\":{\"pathPrefix\":\"/split-edit\"},\"backends\":["
                + "{\"service\":\"edit-a\",\"weight\":1},{\"service\":\"edit-b\",\"weight\":1}]}";
        f.writer.putRoute("split-edit", good);
        await().atMost(Duration.ofSeconds(10)).until(() -> Http.get(f.port(), "/split-edit/x").statusCode() == 200
                && f.gateway.snapshots().current().routes().entry("split-edit").balancer().endpoints().length == 2);

        Map<String, String> bad = Map.of(
                "{\"id\":\"split-edit\",\"match\":{\"pathPrefix\":\"/split-edit\"},\"service\":\"edit-a\","
                        + "\"backends\":[{\"service\":\"edit-b\",\"weight\":1}]}",
                "/zkgate/routes/split-edit: backends: set together with service (expected: exactly one of service and "
                        + "backends)",
                "{\"id\":\"split-edit\",\"match\":{\"pathPrefix\":\"/split-edit\"},\"backends\":["
                        + "{\"service\":\"edit-a\",\"weight\":0},{\"service\":\"edit-b\",\"weight\":0}]}",
                "/zkgate/routes/split-edit: backends: weights sum to 0 (expected: at least one side with a weight "
                        + "above 0)");
        for (Map.Entry<String, String> e : bad.entrySet()) {
            f.writer.putRoute("split-edit", e.getKey());
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertEquals(e.getValue(),
                    f.gateway.control().routeStates().get("split-edit").rejection()));
            Map<String, Integer> seen = new HashMap<>();
            for (int i = 0; i < 20; i++) {
                seen.merge(backendOf(Http.get(f.port(), "/split-edit/x")), 1, Integer::sum);
            }
            assertEquals(Map.of("edit-a", 10, "edit-b", 10), seen, "the last good split keeps serving");
        }
    }

    private static double metric(String route, String service) {
        Double v = Http.metric(f.adminPort(), "zkgate_split_requests_total{route=\"" + route + "\",service=\""
                + service + "\"}");
        return v == null ? 0 : v;
    }

    /** The {@code split} entry of {@code /admin/routes} for one side of one route. */
    private static JsonNode side(String route, String service) {
        for (JsonNode r : Http.json(f.adminPort(), "/admin/routes").get("routes")) {
            if (r.get("id").asText().equals(route)) {
                JsonNode split = r.get("split");
                assertNotNull(split, r.toString());
                for (JsonNode s : split) {
                    if (s.get("service").asText().equals(service)) {
                        return s;
                    }
                }
            }
        }
        throw new AssertionError("no side " + service + " of route " + route);
    }
}
