package io.zkgate.gateway.control;

import io.zkgate.gateway.balancer.Endpoint;
import io.zkgate.gateway.metrics.BackendMetrics;
import io.zkgate.gateway.metrics.GatewayMetrics;
import io.zkgate.gateway.scripting.ScriptCatalog;
import io.zkgate.schema.ZnodeLayout;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Heap bytes per route and per instance of the control path's own state, without ZooKeeper: the heap used after a
 * full collection with a table of the fleet test's shape (four policies, ten instances per service) against one with
 * twice the routes and one with twice the instances. Split into the registries' parsed state, the metrics alone
 * (idle, then after one request per series) and the assembled snapshot (entries, pools, balancers, rings). Prints
 * {@code FOOTPRINT} lines for loadtest/README.md; asserts nothing. Runs only with {@code -Dzkgate.scale=true}.
 */
@EnabledIfSystemProperty(named = "zkgate.scale", matches = "true")
class FleetFootprintTest {
    /** Whether the measured metrics keep the deprecated duration summaries ({@code --duration-summaries}). */
    private static final boolean SUMMARIES = !"false".equals(System.getProperty("zkgate.footprint.summaries"));

    @Test
    void heapPerRouteAndPerInstanceIsMeasuredByDoublingEach() {
        measure(2_500, 500, 10); // warm-up: classes, static caches and interned strings stay out of the figures
        Sizes base = measure(2_500, 500, 10);
        Sizes twiceRoutes = measure(5_000, 500, 10);
        Sizes twiceInstances = measure(2_500, 500, 20);
        report("per route", twiceRoutes.minus(base), 2_500);
        report("per instance", twiceInstances.minus(base), 5_000);
    }

    private record Sizes(long registries, long assembled, long metricsIdle, long metricsUsed) {
        Sizes minus(Sizes o) {
            return new Sizes(registries - o.registries, assembled - o.assembled, metricsIdle - o.metricsIdle,
                    metricsUsed - o.metricsUsed);
        }
    }

    private static void report(String what, Sizes d, int n) {
        System.out.printf("FOOTPRINT%s %s: registries %d B, assembled snapshot with idle metrics %d B (of which"
                        + " snapshot without metrics %d B), metrics idle %d B, metrics after one request per series %d B%n",
                SUMMARIES ? "" : " (no duration summaries)", what, d.registries / n, (d.assembled - d.registries) / n,
                (d.assembled - d.registries - d.metricsIdle) / n, d.metricsIdle / n, d.metricsUsed / n);
    }

    /** What is being measured, held here so that liveness does not depend on the JIT; cleared after each. */
    private static final List<Object> held = new ArrayList<>();

    private static Sizes measure(int routeCount, int serviceCount, int perService) {
        held.clear();
        long empty = usedAfterGc();
        RouteRegistry routes = new RouteRegistry(Znodes.ROUTES);
        ServiceRegistry services = new ServiceRegistry(ZnodeLayout.defaults(), 0,
                new OutlierEjector(OutlierSettings.defaults()), (delayMs, service) -> {});
        held.add(routes);
        held.add(services);
        Znodes.fleet(routes, services, routeCount, serviceCount, perService);
        long registries = usedAfterGc() - empty;
        GatewayMetrics metrics = new GatewayMetrics();
        SnapshotAssembler assembler = new SnapshotAssembler(new RouteDefaults(15_000, 1, 20, 10), metrics,
                new ScriptCatalog("/zkgate/scripts", 100_000));
        held.add(assembler);
        held.add(assembler.assemble(1, routes, services, true, System.nanoTime()));
        long assembled = usedAfterGc() - empty;
        held.clear();
        long[] m = metrics(routeCount, serviceCount, perService);
        System.out.printf("FOOTPRINT raw %d routes, %d instances: %s%n", routeCount, serviceCount * perService,
                new Sizes(registries, assembled, m[0], m[1]));
        return new Sizes(registries, assembled, m[0], m[1]);
    }

    /** The metrics alone of that many routes and backends: idle, then after one request per series. */
    private static long[] metrics(int routeCount, int serviceCount, int perService) {
        List<Endpoint> endpoints = new ArrayList<>();
        for (int s = 0; s < serviceCount; s++) {
            for (int i = 0; i < perService; i++) {
                endpoints.add(new Endpoint("s" + s, "i" + i, "10.1." + s / 250 + "." + s % 250, 10_000 + i, 1));
            }
        }
        held.add(endpoints);
        long endpointsOnly = usedAfterGc();
        GatewayMetrics alone = new GatewayMetrics(600_000, SUMMARIES);
        held.add(alone);
        for (int r = 0; r < routeCount; r++) {
            alone.route("r" + r);
        }
        alone.bind(endpoints, List.of(), System.nanoTime());
        long metricsIdle = usedAfterGc() - endpointsOnly;
        for (int r = 0; r < routeCount; r++) {
            alone.route("r" + r).record("GET", 200, 1_000_000);
        }
        for (Endpoint e : endpoints) {
            BackendMetrics m = alone.backend(e);
            m.picked();
            m.responded(1_000_000);
        }
        long metricsUsed = usedAfterGc() - endpointsOnly;
        held.clear();
        return new long[] {metricsIdle, metricsUsed};
    }

    /** Heap used after full collections, repeated until a collection frees nothing more. */
    private static long usedAfterGc() {
        long last = Long.MAX_VALUE;
        for (int i = 0; i < 20; i++) {
            System.gc();
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            long used = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            if (used >= last - 4096) {
                return Math.min(used, last);
            }
            last = used;
        }
        return last;
    }
}
