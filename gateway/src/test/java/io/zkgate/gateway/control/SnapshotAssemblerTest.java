package io.zkgate.gateway.control;

import static io.zkgate.gateway.control.Znodes.instance;
import static io.zkgate.gateway.control.Znodes.route;
import static io.zkgate.gateway.control.Znodes.routeJson;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.gateway.metrics.GatewayMetrics;
import io.zkgate.gateway.routing.RouteEntry;
import io.zkgate.gateway.routing.Snapshot;
import io.zkgate.gateway.scripting.ScriptCatalog;
import io.zkgate.schema.ZnodeLayout;
import org.junit.jupiter.api.Test;

class SnapshotAssemblerTest {
    private final RouteRegistry routes = new RouteRegistry(Znodes.ROUTES);
    private final ServiceRegistry services = new ServiceRegistry(ZnodeLayout.defaults(), 0,
            new OutlierEjector(OutlierSettings.defaults()), (delayMs, service) -> {});
    private final ScriptCatalog scripts = new ScriptCatalog("/zkgate/scripts", 100_000);
    private final SnapshotAssembler assembler = new SnapshotAssembler(new RouteDefaults(15_000, 1, 20, 10),
            new GatewayMetrics(), scripts);
    private long version;

    @Test
    void aRouteKeepsItsBalancerWhileItsServiceIsUnchangedAndGetsANewOneWhenItChanges() {
        routes.sync();
        routes.put("a", route("a", routeJson("a", "/a", "one"), 1, 1, 0));
        routes.put("b", route("b", routeJson("b", "/b", "two"), 2, 2, 0));
        services.put("/services/one/x", instance("x", 9001, 1));
        services.put("/services/two/y", instance("y", 9002, 1));
        Snapshot first = assemble();

        services.put("/services/two/z", instance("z", 9003, 1));
        Snapshot second = assemble();

        assertSame(entry(first, "a").balancer(), entry(second, "a").balancer(), "service 'one' did not change");
        assertNotSame(entry(first, "b").balancer(), entry(second, "b").balancer());
        assertEquals(2, entry(second, "b").balancer().endpoints().length);
    }

    @Test
    void consistentHashRoutesOfOneServiceWithTheSameLbShareOneRingWhileOtherPoliciesKeepTheirOwn() {
        routes.sync();
        String ch = ",\"lb\":{\"policy\":\"consistent_hash\",\"hashKey\":\"header:X-User\"}}";
        routes.put("a", route("a", routeJson("a", "/a", "one").replaceFirst("}$", ch), 1, 1, 0));
        routes.put("b", route("b", routeJson("b", "/b", "one").replaceFirst("}$", ch), 2, 2, 0));
        routes.put("c", route("c", routeJson("c", "/c", "one").replaceFirst("}$", ch.replace("X-User", "X-Other")),
                3, 3, 0));
        routes.put("d", route("d", routeJson("d", "/d", "one"), 4, 4, 0));
        routes.put("e", route("e", routeJson("e", "/e", "one"), 5, 5, 0));
        services.put("/services/one/x", instance("x", 9001, 1));
        Snapshot first = assemble();

        assertSame(entry(first, "a").balancer(), entry(first, "b").balancer());
        assertNotSame(entry(first, "a").balancer(), entry(first, "c").balancer(), "another hash key");
        assertNotSame(entry(first, "d").balancer(), entry(first, "e").balancer(), "round-robin rotations are per route");

        services.put("/services/one/y", instance("y", 9002, 1));
        Snapshot second = assemble();
        assertSame(entry(second, "a").balancer(), entry(second, "b").balancer());
        assertEquals(2, entry(second, "b").balancer().endpoints().length);
        assertNotSame(entry(first, "a").balancer(), entry(second, "a").balancer());
    }

    @Test
    void upstreamSettingsARouteLeavesOutTakeTheGatewayDefaults() {
        routes.sync();
        routes.put("a", route("a", "{\"match\":{\"pathPrefix\":\"/a\"},\"service\":\"s\","
                + "\"timeouts\":{\"connectMs\":250},\"retries\":{\"attempts\":3}}", 1, 1, 0));
        routes.put("b", route("b", routeJson("b", "/b", "s"), 2, 2, 0));
        Snapshot first = assemble();
        RouteEntry a = entry(first, "a");
        RouteEntry b = entry(first, "b");
        assertEquals(250, a.upstream().connectTimeoutMs());
        assertEquals(15_000, a.upstream().responseTimeoutMs());
        assertEquals(3, a.upstream().retryAttempts());
        assertEquals(-1, b.upstream().connectTimeoutMs(), "the client's default");
        assertEquals(1, b.upstream().retryAttempts());
    }

    @Test
    void aRouteKeepsItsRetryBudgetAcrossSnapshotsAndRedefinitions() {
        routes.sync();
        routes.put("a", route("a", "{\"match\":{\"pathPrefix\":\"/a\"},\"service\":\"s\","
                + "\"retries\":{\"attempts\":3}}", 1, 1, 0));
        RouteEntry a = entry(assemble(), "a");
        assertSame(a.upstream().budget(), entry(assemble(), "a").upstream().budget(), "a later snapshot");

        routes.remove("a", Znodes.ROUTES + "/a", 3);
        assertNull(entry(assemble(), "a"));
        routes.put("a", route("a", routeJson("a", "/a2", "s"), 4, 4, 0));
        assertSame(a.upstream().budget(), entry(assemble(), "a").upstream().budget());
    }

    @Test
    void aRouteWhoseServiceHasNoInstancesIsServedWithAnEmptyBalancer() {
        routes.sync();
        routes.put("a", route("a", routeJson("a", "/a", "nobody"), 1, 1, 0));
        Snapshot snap = assemble();

        assertEquals(0, entry(snap, "a").balancer().endpoints().length);
        assertTrue(snap.services().isEmpty());
    }

    @Test
    void aRouteNamingAScriptGetsItBoundEvenBeforeTheScriptExists() {
        routes.sync();
        routes.put("a", route("a", "{\"match\":{\"pathPrefix\":\"/a\"},\"service\":\"s\",\"script\":\"auth\"}",
                1, 1, 0));
        assertEquals("auth", entry(assemble(), "a").script().name());
    }

    @Test
    void theSnapshotCarriesItsVersionTheRoutesZxidAndWhetherEverythingWasRead() {
        routes.put("a", route("a", routeJson("a", "/a", "s"), 7, 9, 2));
        routes.sync();
        services.put("/services/s/x", instance("x", 9001, 1));
        Snapshot snap = assembler.assemble(42, routes, services, true, 0);

        assertEquals(42, snap.version());
        assertEquals(9, snap.routesZxid());
        assertTrue(snap.synced());
        assertEquals(2, entry(snap, "a").znodeVersion());
        assertSame(entry(snap, "a"), snap.routes().match(null, "/a/b", "GET"));
        assertEquals(1, snap.services().get("s").routable().length);
    }

    @Test
    void anInstanceEventRebuildsOnlyItsServicesPoolAndRoutesAndSharesEverythingElse() {
        routes.sync();
        routes.put("a", route("a", routeJson("a", "/a", "one"), 1, 1, 0));
        routes.put("a2", route("a2", routeJson("a2", "/a2", "one"), 2, 2, 0));
        routes.put("b", route("b", routeJson("b", "/b", "two"), 3, 3, 0));
        services.put("/services/one/x", instance("x", 9001, 1));
        services.put("/services/two/y", instance("y", 9002, 1));
        Snapshot first = assemble();

        services.put("/services/two/z", instance("z", 9003, 1));
        Snapshot second = assemble();

        assertSame(first.services().get("one"), second.services().get("one"));
        assertNotSame(first.services().get("two"), second.services().get("two"));
        assertSame(entry(first, "a"), entry(second, "a"), "a route of another service is shared as it was");
        assertSame(entry(first, "a2"), entry(second, "a2"));
        assertNotSame(entry(first, "b"), entry(second, "b"));
        assertEquals(1, entry(first, "b").balancer().endpoints().length, "the previous snapshot is left as it was");
        assertSame(entry(second, "b"), second.routes().match(null, "/b/c", "GET"));
    }

    @Test
    void aRouteEventRebuildsOnlyThatRouteAndARouteMovedToAnotherServiceFollowsThatService() {
        routes.sync();
        routes.put("a", route("a", routeJson("a", "/a", "one"), 1, 1, 0));
        routes.put("b", route("b", routeJson("b", "/b", "one"), 2, 2, 0));
        services.put("/services/one/x", instance("x", 9001, 1));
        services.put("/services/two/y", instance("y", 9002, 1));
        Snapshot first = assemble();

        routes.put("a", route("a", routeJson("a", "/a", "two"), 1, 3, 1));
        Snapshot moved = assemble();
        assertSame(entry(first, "b"), entry(moved, "b"));
        assertEquals(9002, entry(moved, "a").balancer().endpoints()[0].port());

        services.put("/services/one/x2", instance("x2", 9003, 1));
        Snapshot oneChanged = assemble();
        assertSame(entry(moved, "a"), entry(oneChanged, "a"), "'a' no longer depends on service 'one'");
        assertEquals(2, entry(oneChanged, "b").balancer().endpoints().length);

        services.put("/services/two/y2", instance("y2", 9004, 1));
        assertEquals(2, entry(assemble(), "a").balancer().endpoints().length, "'a' follows service 'two'");

        routes.remove("a", Znodes.ROUTES + "/a", 9);
        Snapshot removed = assemble();
        assertNull(entry(removed, "a"));
        assertNull(removed.routes().match(null, "/a", "GET"));
        assertEquals(1, removed.routes().entries().size());
    }

    @Test
    void aServiceThatLostEveryInstanceLeavesTheSnapshotAndItsRoutesGetAnEmptyBalancer() {
        routes.sync();
        routes.put("a", route("a", routeJson("a", "/a", "one"), 1, 1, 0));
        services.put("/services/one/x", instance("x", 9001, 1));
        assemble();
        services.remove("/services/one/x", 0);
        Snapshot gone = assemble();

        assertNull(gone.services().get("one"));
        assertEquals(0, entry(gone, "a").balancer().endpoints().length);
    }

    @Test
    void onlyAnInstanceThatLeftIsDueForMetricsRemovalNotOneThatStayedOrChangedItsWeight() {
        routes.sync();
        routes.put("a", route("a", routeJson("a", "/a", "one"), 1, 1, 0));
        services.put("/services/one/x", instance("x", 9001, 1));
        services.put("/services/one/y", instance("y", 9002, 1));
        services.put("/services/one/z", instance("z", 9003, 1));
        assemble();
        assertEquals(-1, assembler.metricsDueNanos());

        services.put("/services/one/y", instance("y", 9002, 5)); // a new endpoint object for the same backend
        services.put("/services/one/w", instance("w", 9004, 1));
        Snapshot joined = assemble();
        assertEquals(4, entry(joined, "a").balancer().endpoints().length);
        assertEquals(-1, assembler.metricsDueNanos(), "a weight change is the same backend, and w joined");

        services.remove("/services/one/x", 0);
        assemble();
        assertTrue(assembler.metricsDueNanos() >= 0, "x left: its series are due for removal");
    }

    private Snapshot assemble() {
        return assembler.assemble(++version, routes, services, true, 0);
    }

    private static RouteEntry entry(Snapshot snap, String id) {
        return snap.routes().entries().stream().filter(e -> e.id().equals(id)).findFirst().orElse(null);
    }
}
