package io.zkgate.gateway.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.gateway.balancer.Balancers;
import io.zkgate.gateway.balancer.Endpoint;
import io.zkgate.gateway.metrics.GatewayMetrics;
import io.zkgate.gateway.metrics.MetricNames;
import io.zkgate.gateway.scripting.RouteScript;
import io.zkgate.gateway.scripting.ScriptCatalog;
import io.zkgate.schema.Route;
import io.zkgate.schema.RouteCodec;
import io.zkgate.schema.ValidationException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.eclipse.jetty.http.HttpFields;
import org.junit.jupiter.api.Test;

/** Every outcome of the one routing decision, without a server: the router reads a snapshot and a request view. */
class RequestRouterTest {
    private final GatewayMetrics metrics = new GatewayMetrics();
    private final SnapshotRef snapshots = new SnapshotRef();
    private final List<Endpoint> ejected = new ArrayList<>();
    private final RequestRouter router = new RequestRouter(snapshots, metrics, 1000, ejected::add, 3);
    private final ScriptCatalog scripts = new ScriptCatalog("/zkgate/scripts", 100_000);
    private final Endpoint a = new Endpoint("svc", "a", "10.0.0.1", 8080, 1);
    private final Endpoint b = new Endpoint("svc", "b", "10.0.0.2", 8080, 1);
    private final List<RouteEntry> entries = new ArrayList<>();

    @Test
    void aRequestNoRouteMatchesIsRefused404WithoutARoute() {
        publish(entry("{\"match\":{\"pathPrefix\":\"/api\"},\"service\":\"svc\"}", "api", 0, null, a, b));
        Decision.Refuse refuse = assertInstanceOf(Decision.Refuse.class, router.route(TestRequest.get("/other")));
        assertEquals(ErrorResponse.NO_ROUTE, refuse.error());
        assertNull(refuse.route());
        assertEquals("no route for GET /other", refuse.message());
    }

    @Test
    void beforeTheFirstFullReadOfZooKeeperEveryRequestIsRefused503NotReadyNot404() {
        assertEquals(ErrorResponse.NOT_READY, assertInstanceOf(Decision.Refuse.class,
                router.route(TestRequest.get("/api"))).error(), "the initial snapshot is not synced");
        entry("{\"match\":{\"pathPrefix\":\"/api\"},\"service\":\"svc\"}", "api", 0, null, a);
        snapshots.publish(new Snapshot(1, RouteTable.of(entries), Map.of(), false, 0));
        assertEquals(ErrorResponse.NOT_READY, assertInstanceOf(Decision.Refuse.class,
                router.route(TestRequest.get("/api"))).error(), "routes read, services not yet");
        publishEntries();
        assertInstanceOf(Decision.Forward.class, router.route(TestRequest.get("/api")));
    }

    @Test
    void aPathServedOnlyForOtherMethodsIsRefused405WithAllowWhileACatchAllStillTakesIt() {
        entry("{\"match\":{\"pathPrefix\":\"/api\",\"methods\":[\"GET\",\"HEAD\"]},\"service\":\"svc\"}", "read", 0,
                null, a);
        entry("{\"match\":{\"pathPrefix\":\"/api/orders\",\"methods\":[\"POST\"]},\"service\":\"svc\"}", "write",
                0, null, a);
        publishEntries();
        Decision.Refuse refuse = assertInstanceOf(Decision.Refuse.class,
                router.route(TestRequest.get("/api/orders/7").withMethod("DELETE")));
        assertEquals(ErrorResponse.METHOD_NOT_ALLOWED, refuse.error());
        assertEquals("GET, HEAD, POST", refuse.headers().responseValue("Allow"));
        assertEquals(ErrorResponse.NO_ROUTE, ((Decision.Refuse) router.route(TestRequest.get("/other"))).error());
        entry("{\"match\":{\"pathPrefix\":\"/\"},\"service\":\"svc\"}", "all", 0, null, b);
        publishEntries();
        assertEquals("all", forward(TestRequest.get("/api/orders/7").withMethod("DELETE")).route().id(),
                "a route for any method still serves what the others refuse");
    }

    @Test
    void aRouteWhoseServiceHasNoInstanceIsRefused503() {
        publish(entry("{\"match\":{\"pathPrefix\":\"/api\"},\"service\":\"svc\"}", "api", 0, null));
        Decision.Refuse refuse = assertInstanceOf(Decision.Refuse.class, router.route(TestRequest.get("/api/x")));
        assertEquals(ErrorResponse.NO_INSTANCES, refuse.error());
        assertEquals("api", refuse.routeId());
    }

    @Test
    void aDeclaredBodyOverTheRoutesLimitIsRefusedBeforeAnyPick() {
        publish(entry("{\"match\":{\"pathPrefix\":\"/api\"},\"service\":\"svc\",\"limits\":{\"maxBodyBytes\":10}}",
                "api", 0, null, a, b));
        Decision.Refuse tooLarge = assertInstanceOf(Decision.Refuse.class,
                router.route(TestRequest.get("/api").withMethod("POST").withContentLength(11)));
        assertEquals(ErrorResponse.BODY_TOO_LARGE, tooLarge.error());
        assertEquals(0, a.inFlight() + b.inFlight());
        assertInstanceOf(Decision.Forward.class,
                router.route(TestRequest.get("/api").withMethod("POST").withContentLength(10)));
    }

    @Test
    void aWebSocketUpgradeThatIsNotAGetIsRefusedBeforeAnyPick() {
        publish(entry("{\"match\":{\"pathPrefix\":\"/api\"},\"service\":\"svc\"}", "api", 0, null, a, b));
        Decision.Refuse upgrade = assertInstanceOf(Decision.Refuse.class,
                router.route(TestRequest.get("/api").withMethod("POST").withHeader("Upgrade", "websocket")));
        assertEquals(ErrorResponse.UPGRADE_NOT_SUPPORTED, upgrade.error());
        assertEquals(0, a.inFlight() + b.inFlight());
    }

    @Test
    void aScriptThatAnswersItselfGivesAnAnswerAndNoBackend() throws Exception {
        putScript("guard", "function on_request(req) if req.header('X-Key') ~= 'k' then return req.respond(401) end end");
        publish(entry("{\"match\":{\"pathPrefix\":\"/g\"},\"service\":\"svc\",\"script\":\"guard\"}", "g", 0,
                "guard", a, b));
        Decision.Answer answer = assertInstanceOf(Decision.Answer.class, router.route(TestRequest.get("/g")));
        assertEquals(401, answer.script().respondedStatus());
        assertInstanceOf(Decision.Forward.class, router.route(TestRequest.get("/g").withHeader("X-Key", "k")));
        assertEquals(2, metrics.registry().timer(MetricNames.tagged(
                "zkgate_script_duration_seconds", "script", "guard")).getCount(), "each run is timed");
    }

    @Test
    void aScriptThatFailsIsRefused500NamingTheScript() throws Exception {
        putScript("broken", "function on_request(req) error('boom') end");
        publish(entry("{\"match\":{\"pathPrefix\":\"/s\"},\"service\":\"svc\",\"script\":\"broken\"}", "s", 0,
                "broken", a, b));
        Decision.Refuse refuse = assertInstanceOf(Decision.Refuse.class, router.route(TestRequest.get("/s")));
        assertEquals(ErrorResponse.SCRIPT_ERROR, refuse.error());
        assertTrue(refuse.message().contains("broken") && refuse.message().contains("boom"), refuse.message());
    }

    @Test
    void aForwardCarriesTheStrippedCanonicalPathAndTheQueryAsSent() {
        publish(entry("{\"match\":{\"pathPrefix\":\"/api\"},\"service\":\"svc\",\"stripPrefix\":true}", "api", 0, null,
                a));
        Decision.Forward f = assertInstanceOf(Decision.Forward.class,
                router.route(TestRequest.get("/api/v1/x").withQuery("q=%2F&r")));
        assertEquals("/v1/x", f.upstreamPath());
        assertEquals("http://10.0.0.1:8080/v1/x?q=%2F&r", f.target("q=%2F&r"));
        assertEquals("/", ((Decision.Forward) router.route(TestRequest.get("/api"))).upstreamPath());
    }

    @Test
    void aScriptsSetPathAndHeaderEditsTravelWithTheForward() throws Exception {
        putScript("rw", "function on_request(req) req.set_path('/v2/' .. req.header('X-Id')) "
                + "req.set_header('X-Seen', req.path) end");
        publish(entry("{\"match\":{\"pathPrefix\":\"/rw\"},\"service\":\"svc\",\"script\":\"rw\"}", "rw", 0, "rw", a));
        Decision.Forward f = assertInstanceOf(Decision.Forward.class,
                router.route(TestRequest.get("/rw/x").withHeader("X-Id", "7")));
        assertEquals("/v2/7", f.upstreamPath());
        HttpFields.Mutable headers = HttpFields.build();
        f.script().applyHeaderEdits(headers);
        assertEquals("/rw/x", headers.get("X-Seen"));
    }

    @Test
    void roundRobinAlternatesBetweenTheServicesBackends() {
        publish(entry("{\"match\":{\"pathPrefix\":\"/\"},\"service\":\"svc\"}", "all", 0, null, a, b));
        Endpoint first = forward(TestRequest.get("/x")).endpoint();
        Endpoint second = forward(TestRequest.get("/x")).endpoint();
        assertNotEquals(first, second);
        assertSame(first, forward(TestRequest.get("/x")).endpoint());
    }

    @Test
    void weightedRoundRobinFollowsTheWeights() {
        Endpoint heavy = new Endpoint("svc", "h", "10.0.0.3", 8080, 3);
        publish(entry("{\"match\":{\"pathPrefix\":\"/\"},\"service\":\"svc\",\"lb\":{\"policy\":\"weighted_round_robin\"}}",
                "w", 0, null, a, heavy));
        int heavyPicks = 0;
        for (int i = 0; i < 40; i++) {
            heavyPicks += forward(TestRequest.get("/x")).endpoint() == heavy ? 1 : 0;
        }
        assertEquals(30, heavyPicks);
    }

    @Test
    void consistentHashKeepsAKeyOnOneBackendAndTheForwardRemembersTheKey() {
        publish(entry("{\"match\":{\"pathPrefix\":\"/\"},\"service\":\"svc\",\"lb\":{\"policy\":\"consistent_hash\","
                + "\"hashKey\":\"header:X-User\"}}", "h", 0, null, a, b));
        Set<Endpoint> used = new HashSet<>();
        for (int user = 0; user < 20; user++) {
            Decision.Forward f = forward(TestRequest.get("/x").withHeader("X-User", "u" + user));
            assertEquals("u" + user, f.hashKey());
            for (int again = 0; again < 3; again++) {
                assertSame(f.endpoint(), forward(TestRequest.get("/y").withHeader("X-User", "u" + user)).endpoint());
            }
            used.add(f.endpoint());
        }
        assertEquals(2, used.size());
    }

    @Test
    void consistentHashOnThePathReadsTheCanonicalPathTheFrontDoorHandsIn() {
        publish(entry("{\"match\":{\"pathPrefix\":\"/\"},\"service\":\"svc\",\"lb\":{\"policy\":\"consistent_hash\","
                + "\"hashKey\":\"path\"}}", "h", 0, null, a, b));
        assertEquals("/u/7", forward(TestRequest.get("/u/7")).hashKey());
    }

    @Test
    void randomPicksOnlyAmongTheServicesBackends() {
        publish(entry("{\"match\":{\"pathPrefix\":\"/\"},\"service\":\"svc\",\"lb\":{\"policy\":\"random\"}}", "r", 0,
                null, a, b));
        Set<Endpoint> used = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            used.add(forward(TestRequest.get("/x")).endpoint());
        }
        assertEquals(Set.of(a, b), used);
    }

    @Test
    void leastRequestAvoidsTheBackendWithMoreRequestsInFlight() {
        publish(entry("{\"match\":{\"pathPrefix\":\"/\"},\"service\":\"svc\",\"lb\":{\"policy\":\"least_request\"}}",
                "l", 0, null, a, b));
        for (int i = 0; i < 5; i++) {
            a.acquire();
        }
        try {
            for (int i = 0; i < 50; i++) {
                assertSame(b, forward(TestRequest.get("/x")).endpoint());
            }
        } finally {
            for (int i = 0; i < 5; i++) {
                a.release();
            }
        }
    }

    @Test
    void aRetryGoesToAnotherBackendWithinTheAttemptsAndIsCounted() {
        publish(entry("{\"match\":{\"pathPrefix\":\"/\"},\"service\":\"svc\"}", "re", 1, null, a, b));
        Decision.Forward first = forward(TestRequest.get("/x"));
        Decision.Forward retry = router.retry(first, "GET", false, true);
        assertNotNull(retry);
        assertNotEquals(first.endpoint(), retry.endpoint());
        assertEquals(1, retry.attempt());
        assertSame(first, retry.previous());
        assertNull(router.retry(retry, "GET", false, true), "one attempt only");
        assertEquals(1, metrics.registry().counter(MetricNames.tagged(
                "zkgate_retries_total", "route", "re")).getCount());
    }

    @Test
    void aNonIdempotentRequestIsRetriedOnlyWhenItNeverReachedTheBackendAndABodyOnlyWhenKept() {
        publish(entry("{\"match\":{\"pathPrefix\":\"/\"},\"service\":\"svc\"}", "re", 1, null, a, b));
        Decision.Forward post = forward(TestRequest.get("/x").withMethod("POST"));
        assertNull(router.retry(post, "POST", false, true), "POST may have been processed");
        assertNotNull(router.retry(post, "POST", true, true), "POST that never reached the backend");
        assertNull(router.retry(forward(TestRequest.get("/x")), "GET", true, false), "a streamed body is gone");
    }

    @Test
    void aRetryBeyondTheBudgetIsDeniedAndCountedAsDenied() {
        RetryBudget none = new RetryBudget(0, 0);
        entries.add(new RouteEntry(route("{\"match\":{\"pathPrefix\":\"/\"},\"service\":\"svc\"}", "nb"), 0,
                Balancers.create(null, new Endpoint[] {a, b}),
                new UpstreamPolicy(1000, 15000, 2, none), metrics.route("nb"), null));
        publishEntries();
        assertNull(router.retry(forward(TestRequest.get("/x")), "GET", true, true));
        assertEquals(1, metrics.registry().counter(MetricNames.tagged(
                "zkgate_retries_denied_total", "route", "nb")).getCount());
    }

    @Test
    void consecutiveFailuresEjectABackendAndAnAnswerBelow500EndsTheStreak() {
        router.failed(a);
        router.failed(a);
        router.answered(a, 404);
        router.failed(a);
        router.answered(a, 503);
        assertEquals(List.of(), ejected, "the 404 ended the streak");
        router.failed(a);
        assertEquals(List.of(a), ejected);
    }

    @Test
    void outcomesAreRecordedPerRouteAndWithoutARouteUnderNone() {
        publish(entry("{\"match\":{\"pathPrefix\":\"/\"},\"service\":\"svc\"}", "m", 0, null, a));
        RouteEntry route = forward(TestRequest.get("/x")).route();
        router.record(route, "GET", 200, System.nanoTime());
        router.record(null, "GET", 404, System.nanoTime());
        assertEquals(1, route.metrics().requests());
        assertEquals(1, metrics.noRoute().requests());
    }

    @Test
    void aRouterWithMetricsOffRecordsNothing() {
        publish(entry("{\"match\":{\"pathPrefix\":\"/\"},\"service\":\"svc\"}", "m", 0, null, a));
        RouteEntry route = forward(TestRequest.get("/x")).route();
        RequestRouter quiet = new RequestRouter(snapshots, null, 1000, e -> { }, 3);
        quiet.record(route, "GET", 200, System.nanoTime());
        assertNull(quiet.backendMetrics(a));
        assertEquals(0, route.metrics().requests(), "metrics off records nothing");
    }

    @Test
    void aRoutesRequestIdsSettingOverridesTheGatewaysAndRequestsNoRouteTakesFollowTheGateway() {
        entry("{\"match\":{\"pathPrefix\":\"/plain\"},\"service\":\"svc\"}", "plain", 0, null, a);
        entry("{\"match\":{\"pathPrefix\":\"/quiet\"},\"service\":\"svc\",\"requestIds\":false}", "quiet", 0,
                null, a);
        publish(entry("{\"match\":{\"pathPrefix\":\"/traced\"},\"service\":\"svc\",\"requestIds\":true}",
                "traced", 0, null, a));
        for (boolean gateway : new boolean[] {true, false}) {
            RequestRouter ids = new RequestRouter(snapshots, metrics, 1000, e -> { }, 3, TrustedProxies.NONE, gateway,
                    HttpsRedirect.NONE);
            assertEquals(gateway, ids.route(TestRequest.get("/plain/x")).headers().requestId() != null,
                    "a route without the field follows the gateway (" + gateway + ")");
            assertNull(ids.route(TestRequest.get("/quiet/x")).headers().requestId(), "requestIds: false");
            assertNull(ids.route(TestRequest.get("/quiet/x")).headers().traceId(), "requestIds: false");
            HeaderEdits traced = ids.route(TestRequest.get("/traced/x")).headers();
            assertTrue(traced.requestId().matches("[0-9a-f]{32}"), "requestIds: true, whatever the gateway says");
            assertTrue(traced.traceId().matches("[0-9a-f]{32}"), traced.traceId());
            assertEquals(gateway, ids.route(TestRequest.get("/nowhere")).headers().requestId() != null,
                    "no route: the gateway's setting");
        }
    }

    private Decision.Forward forward(RequestView request) {
        return assertInstanceOf(Decision.Forward.class, router.route(request));
    }

    private void putScript(String name, String source) {
        assertTrue(scripts.put("/zkgate/scripts/" + name, source.getBytes(StandardCharsets.UTF_8), 0));
    }

    private RouteEntry entry(String json, String id, int retries, String script, Endpoint... endpoints) {
        Route route = route(json, id);
        RouteScript bound = script == null ? null : scripts.bind(script, id, route.service());
        RouteEntry e = new RouteEntry(route, 0, Balancers.create(route.lb(), endpoints),
                new UpstreamPolicy(1000, 15000, retries, new RetryBudget(0.2, 10)), metrics.route(id), bound);
        entries.add(e);
        return e;
    }

    private static Route route(String json, String id) {
        try {
            return RouteCodec.parse("/zkgate/routes/" + id, json.getBytes(StandardCharsets.UTF_8), id);
        } catch (ValidationException e) {
            throw new AssertionError(e.problems().toString(), e);
        }
    }

    private void publish(RouteEntry e) {
        publishEntries();
    }

    private void publishEntries() {
        snapshots.publish(new Snapshot(snapshots.current().version() + 1, RouteTable.of(entries), Map.of(), true, 0));
    }
}
