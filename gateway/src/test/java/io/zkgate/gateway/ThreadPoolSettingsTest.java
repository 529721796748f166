package io.zkgate.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.zkgate.gateway.support.GatewayFixture;
import io.zkgate.gateway.support.Http;
import io.zkgate.gateway.support.TestBackend;
import io.zkgate.gateway.support.ZkWriter;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The thread-pool flags shape the pool that serves clients and upstreams, and a small pool still proxies. */
class ThreadPoolSettingsTest {

    @Test
    void aGatewayOnATwelveThreadPoolWithoutReservedThreadsServesSlowConcurrentRequests() throws Exception {
        try (GatewayFixture f = new GatewayFixture("--threads", "12", "--min-threads", "12", "--reserved-threads", "0")) {
            assertEquals(12, poolThreads(), "the pool starts its --min-threads (Jetty's default would start 8)");
            TestBackend slow = f.closeLater(TestBackend.slow("slow", 200));
            f.writer.register("slow", "1", slow.port(), 1);
            f.writer.putRoute("slow", ZkWriter.route("slow", "/slow", "slow"));
            await().atMost(Duration.ofSeconds(10)).until(() -> Http.get(f.port(), "/slow/").statusCode() == 200);

            List<CompletableFuture<HttpResponse<String>>> pending = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                pending.add(Http.getAsync(f.port(), "/slow/" + i));
            }
            for (CompletableFuture<HttpResponse<String>> p : pending) {
                assertEquals(200, p.get(30, TimeUnit.SECONDS).statusCode());
            }
            assertEquals(12, poolThreads(), "--threads caps the pool under load");
        }
    }

    /** Threads of the gateway's pool alive now (named zkgate-<n>, acceptors with a suffix; unlike its control and health threads). */
    private static long poolThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().matches("zkgate-\\d+.*")).count();
    }
}
