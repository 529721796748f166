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
    void upstreamDefaultsAreFilledInAndARouteKeepsItsRetryBudgetAcrossSnapshotsAndRedefinitions() {
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

    private Snapshot assemble() {
        return assembler.assemble(++version, routes, services, true, 0);
    }

    private static RouteEntry entry(Snapshot snap, String id) {
        return snap.routes().entries().stream().filter(e -> e.id().equals(id)).findFirst().orElse(null);
    }
}
