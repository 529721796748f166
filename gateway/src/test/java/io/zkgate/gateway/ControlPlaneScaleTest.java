package io.zkgate.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.zkgate.gateway.routing.ServicePool;
import io.zkgate.gateway.routing.Snapshot;
import io.zkgate.gateway.support.GatewayFixture;
import io.zkgate.gateway.support.Http;
import io.zkgate.gateway.support.TestBackend;
import io.zkgate.gateway.support.ZkWriter;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A gateway with 400 routes over 40 services of 25 instances each (1,000 registrations): everything is applied, a
 * route still proxies, and one more registration is followed. The times are printed for loadtest/README.md, not
 * asserted; the bounds here are only generous upper limits.
 */
class ControlPlaneScaleTest {
    private static final int SERVICES = 40;
    private static final int INSTANCES = 25;
    private static final int ROUTES = 400;

    @Test
    void fourHundredRoutesAndAThousandInstancesAreAppliedAndFollowed() throws Exception {
        try (GatewayFixture f = new GatewayFixture()) {
            f.awaitSynced();
            long start = System.nanoTime();
            for (int s = 0; s < SERVICES; s++) {
                for (int i = 0; i < INSTANCES; i++) {
                    f.writer.register("s" + s, "i" + i, 20_000 + s * INSTANCES + i, 1 + i % 3);
                }
            }
            String[] policies = {"\"round_robin\"", "\"least_request\"",
                    "\"consistent_hash\",\"hashKey\":\"header:X-User\"", "\"consistent_hash\",\"hashKey\":\"path\""};
            for (int r = 0; r < ROUTES; r++) {
                f.writer.putRoute("r" + r, "{\"id\":\"r" + r + "\",\"match\":{\"pathPrefix\":\"/r" + r + "\"},"
                        + "\"service\":\"s" + (r % SERVICES) + "\",\"lb\":{\"policy\":" + policies[r % 4] + "}}");
            }
            TestBackend real = f.closeLater(TestBackend.start("real"));
            f.writer.register("real", "1", real.port(), 1);
            f.writer.putRoute("real", ZkWriter.route("real", "/real", "real"));
            await().atMost(Duration.ofSeconds(120)).until(() -> {
                Snapshot snap = f.gateway.snapshots().current();
                return snap.routes().entries().size() == ROUTES + 1 && routable(snap) == SERVICES * INSTANCES + 1;
            });
            long loadedMs = (System.nanoTime() - start) / 1_000_000;
            assertEquals(200, Http.get(f.port(), "/real/").statusCode());

            long one = System.nanoTime();
            f.writer.register("s0", "extra", 29_999, 1);
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(5)).until(() -> {
                ServicePool pool = f.gateway.snapshots().current().services().get("s0");
                return pool != null && pool.routable().length == INSTANCES + 1;
            });
            long followedMs = (System.nanoTime() - one) / 1_000_000;
            String metrics = Http.metrics(f.adminPort());
            System.out.printf("SCALE %d routes, %d instances: written and applied in %d ms; one more registration"
                    + " followed in %d ms; rebuild p50 %.1f ms, p99 %.1f ms over %.0f rebuilds%n", ROUTES + 1,
                    SERVICES * INSTANCES + 1, loadedMs, followedMs,
                    1000 * Http.sample(metrics, "zkgate_snapshot_rebuild_duration_seconds{quantile=\"0.5\"}"),
                    1000 * Http.sample(metrics, "zkgate_snapshot_rebuild_duration_seconds{quantile=\"0.99\"}"),
                    Http.sample(metrics, "zkgate_snapshot_rebuilds_total"));
        }
    }

    private static int routable(Snapshot snap) {
        int n = 0;
        for (ServicePool p : snap.services().values()) {
            n += p.routable().length;
        }
        return n;
    }
}
