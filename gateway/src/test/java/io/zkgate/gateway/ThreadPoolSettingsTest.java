package io.zkgate.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
    void aGatewayOnAnEightThreadPoolWithoutReservedThreadsServesSlowConcurrentRequests() throws Exception {
        try (GatewayFixture f = new GatewayFixture("--threads", "8", "--min-threads", "8", "--reserved-threads", "0")) {
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
            long poolThreads = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().matches("zkgate-\\d+")).count();
            assertTrue(poolThreads > 0 && poolThreads <= 8, "gateway pool threads: " + poolThreads);
        }
    }
}
