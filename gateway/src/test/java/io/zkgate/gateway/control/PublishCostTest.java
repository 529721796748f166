package io.zkgate.gateway.control;

import io.zkgate.gateway.metrics.GatewayMetrics;
import io.zkgate.gateway.scripting.ScriptCatalog;
import io.zkgate.schema.ZnodeLayout;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * What one instance event's publish costs the control path at fleet size (10,000 routes, 20,000 instances over
 * 2,000 services, the fleet test's shape), without ZooKeeper or a gateway around it: wall time and the thread's own
 * CPU time per assemble, so that time lost to other processes and to collections shows apart from the work. Prints
 * {@code PUBLISH} lines for loadtest/README.md; asserts nothing. Runs only with {@code -Dzkgate.scale=true}.
 */
@EnabledIfSystemProperty(named = "zkgate.scale", matches = "true")
class PublishCostTest {
    private static final int ROUTES = 10_000;
    private static final int SERVICES = 2_000;
    /**
     * Events before the measured ones: a consistent-hash service's event (every fourth) runs the ring merge, which the
     * JIT compiles late; after 1,000 the first 40 events measured were still the slowest, by 2 to 6 times.
     */
    private static final int WARM_UP = 3_000;
    private static final int MEASURED = 1_000;
    private static final int EVENTS = WARM_UP + MEASURED;

    @Test
    void oneInstanceEventsPublishIsTimedAtFleetSize() {
        RouteRegistry routes = new RouteRegistry(Znodes.ROUTES);
        ServiceRegistry services = new ServiceRegistry(ZnodeLayout.defaults(), 0,
                new OutlierEjector(OutlierSettings.defaults()), (delayMs, service) -> {});
        Znodes.fleet(routes, services, ROUTES, SERVICES, 10);
        SnapshotAssembler assembler = new SnapshotAssembler(new RouteDefaults(15_000, 1, 20, 10),
                new GatewayMetrics(), new ScriptCatalog("/zkgate/scripts", 100_000));
        assembler.assemble(1, routes, services, true, System.nanoTime());

        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        com.sun.management.ThreadMXBean allocation = (com.sun.management.ThreadMXBean) threads;
        long[] wall = new long[EVENTS];
        long[] cpu = new long[EVENTS];
        long[] allocated = new long[EVENTS];
        for (int n = 0; n < EVENTS; n++) {
            int s = service(n - n % 2); // an instance added to a service, then removed by the next event
            if (n % 2 == 0) {
                services.put("/services/s" + s + "/extra", Znodes.fleetInstance(s, 10));
            } else {
                services.remove("/services/s" + s + "/extra", System.nanoTime());
            }
            long a0 = allocation.getCurrentThreadAllocatedBytes();
            long c0 = threads.getCurrentThreadCpuTime();
            long w0 = System.nanoTime();
            assembler.assemble(n + 2, routes, services, true, w0);
            wall[n] = System.nanoTime() - w0;
            cpu[n] = threads.getCurrentThreadCpuTime() - c0;
            allocated[n] = allocation.getCurrentThreadAllocatedBytes() - a0;
        }
        long[] lateWall = Arrays.copyOfRange(wall, WARM_UP, EVENTS);
        long[] lateCpu = Arrays.copyOfRange(cpu, WARM_UP, EVENTS);
        long[] ring = IntStream.range(WARM_UP, EVENTS).filter(n -> hashed(n)).mapToLong(n -> cpu[n]).toArray();
        long[] noRing = IntStream.range(WARM_UP, EVENTS).filter(n -> !hashed(n)).mapToLong(n -> cpu[n]).toArray();
        System.out.printf("PUBLISH %d single-instance events at %d routes and %d instances, after %d to warm up: wall"
                        + " p50 %.3f ms, p99 %.3f ms; thread CPU p50 %.3f ms, p99 %.3f ms; thread CPU of an event in a"
                        + " consistent-hash service (a ring rebuilt) p50 %.3f ms, p99 %.3f ms, in another p50 %.3f ms,"
                        + " p99 %.3f ms%n", MEASURED, ROUTES, SERVICES * 10, WARM_UP, pct(lateWall, 0.5),
                pct(lateWall, 0.99), pct(lateCpu, 0.5), pct(lateCpu, 0.99), pct(ring, 0.5), pct(ring, 0.99),
                pct(noRing, 0.5), pct(noRing, 0.99));
        long[] lateAllocated = Arrays.copyOfRange(allocated, WARM_UP, EVENTS);
        // The mean is what sets how often the collector runs; the p50 falls between the two kinds of event
        System.out.printf("PUBLISH allocated per event's publish: mean %.1f KB (in a consistent-hash service %.1f KB,"
                        + " in another %.1f KB), p50 %.1f KB, p99 %.1f KB%n", mean(lateAllocated) / 1e3,
                meanOf(allocated, true) / 1e3, meanOf(allocated, false) / 1e3, pct(lateAllocated, 0.5) * 1e3,
                pct(lateAllocated, 0.99) * 1e3);
    }

    /** Whether event {@code n} touched a service whose routes hash (a service's routes all share one policy). */
    private static boolean hashed(int n) {
        return service(n - n % 2) % Znodes.FLEET_POLICIES.length == 2;
    }

    private static int service(int n) {
        return (n * 7919) % SERVICES;
    }

    private static double meanOf(long[] bytes, boolean ring) {
        return mean(IntStream.range(WARM_UP, EVENTS).filter(n -> hashed(n) == ring).mapToLong(n -> bytes[n]).toArray());
    }

    private static double mean(long[] values) {
        return Arrays.stream(values).average().orElse(0);
    }

    private static double pct(long[] nanos, double q) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        return sorted[(int) Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] / 1e6;
    }
}
