package io.zkgate.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.zkgate.gateway.support.GatewayFixture;
import io.zkgate.gateway.support.Http;
import io.zkgate.gateway.support.TestBackend;
import io.zkgate.gateway.support.ZkWriter;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Backends come and go with every deploy; the series of one that left are removed after
 * {@code --backend-metrics-retention-ms}, so /metrics does not grow with every instance that ever existed.
 */
class BackendMetricsRetentionTest {

    @Test
    void aDepartedBackendsSeriesAreRemovedAfterTheRetentionWhileLiveOnesStay() throws Exception {
        try (GatewayFixture f = new GatewayFixture("--backend-metrics-retention-ms", "1000")) {
            TestBackend a = f.closeLater(TestBackend.start("ret-a"));
            TestBackend b = f.closeLater(TestBackend.start("ret-b"));
            f.writer.register("ret", "a", a.port(), 1);
            f.writer.register("ret", "b", b.port(), 1);
            f.writer.putRoute("ret", ZkWriter.route("ret", "/ret", "ret"));
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> Http.get(f.port(), "/ret/").statusCode() == 200 && a.hits() > 0 && b.hits() > 0);
            String before = metrics(f);
            assertNotNull(Http.sample(before, picks(a)), before);
            assertNotNull(Http.sample(before, picks(b)), before);

            f.writer.deregister("ret", "a");
            await().atMost(Duration.ofSeconds(20)).until(() -> Http.sample(metrics(f), picks(a)) == null);
            String after = metrics(f);
            assertNull(Http.sample(after, "zkgate_upstream_duration_seconds_count{service=\"ret\",backend=\"127.0.0.1:"
                    + a.port() + "\"}"), "every series of the departed backend goes");
            assertNull(Http.sample(after, "zkgate_upstream_latency_seconds_count{service=\"ret\",backend=\"127.0.0.1:"
                    + a.port() + "\"}"), "its histogram too");
            assertNotNull(Http.sample(after, picks(b)), "the live backend keeps its series: " + after);

            f.writer.register("ret", "a", a.port(), 1);
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                Http.get(f.port(), "/ret/");
                Double p = Http.sample(metrics(f), picks(a));
                return p != null && p > 0;
            });
            assertEquals(200, Http.get(f.port(), "/ret/").statusCode());
        }
    }

    private static String picks(TestBackend backend) {
        return "zkgate_backend_picks_total{service=\"ret\",backend=\"127.0.0.1:" + backend.port() + "\"}";
    }

    private static String metrics(GatewayFixture f) {
        return Http.metrics(f.adminPort());
    }
}
