package io.zkgate.gateway;

import static io.zkgate.gateway.support.ZkWriter.route;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.agent.RegistryAgent;
import io.zkgate.gateway.support.GatewayFixture;
import io.zkgate.gateway.support.Http;
import io.zkgate.gateway.support.TestBackend;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;

/**
 * The registry agent and the gateway together: three backends behind a real gateway, a client sending load with 16
 * connections, while each backend in turn drains, stops, comes back on a new port and re-registers. Nothing fails.
 */
class RollingDeployTest {
    private static final int CLIENTS = 16;
    private static final int MIN_REQUESTS = 3000;

    @Test
    void aRollingDeployOfEveryBackendUnderLoadLosesNoRequest() throws Exception {
        try (GatewayFixture f = new GatewayFixture()) {
            String zk = f.zk.getConnectString();
            List<TestBackend> backends = new ArrayList<>();
            List<RegistryAgent> agents = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                TestBackend b = TestBackend.start("roll-" + i);
                backends.add(b);
                agents.add(agent(zk, "roll-" + i, b.port()));
            }
            f.writer.putRoute("roll", route("roll", "/roll", "roll"));
            await().atMost(Duration.ofSeconds(10)).until(() ->
                    f.gateway.snapshots().current().services().containsKey("roll")
                    && f.gateway.snapshots().current().services().get("roll").routable().length == 3
                    && Http.get(f.port(), "/roll").statusCode() == 200);

            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + f.port() + "/roll/x"))
                    .timeout(Duration.ofSeconds(30)).build();
            AtomicBoolean deploying = new AtomicBoolean(true);
            LongAdder ok = new LongAdder();
            Map<String, AtomicInteger> failures = new ConcurrentHashMap<>();
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> load = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            for (int c = 0; c < CLIENTS; c++) {
                Thread t = new Thread(() -> {
                    try {
                        start.await();
                        while ((deploying.get() || ok.sum() < MIN_REQUESTS) && System.nanoTime() < deadline) {
                            try {
                                HttpResponse<String> r = client.send(request, HttpResponse.BodyHandlers.ofString());
                                if (r.statusCode() == 200) {
                                    ok.increment();
                                } else {
                                    failures.computeIfAbsent("status " + r.statusCode() + " " + r.body().trim(),
                                            k -> new AtomicInteger()).incrementAndGet();
                                }
                            } catch (Exception e) {
                                failures.computeIfAbsent(e.toString(), k -> new AtomicInteger()).incrementAndGet();
                            }
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }, "load-" + c);
                t.start();
                load.add(t);
            }
            start.countDown();
            try {
                for (int i = 0; i < 3; i++) {
                    Thread.sleep(300);
                    agents.get(i).drain();
                    backends.get(i).close();
                    Thread.sleep(200);
                    TestBackend next = TestBackend.start("roll-" + i + "-v2");
                    backends.set(i, next);
                    RegistryAgent again = agent(zk, "roll-" + i, next.port());
                    agents.set(i, again);
                    int index = i;
                    await().atMost(Duration.ofSeconds(10)).until(() -> backends.get(index).hits() > 0);
                }
            } finally {
                deploying.set(false);
                for (Thread t : load) {
                    t.join(Duration.ofSeconds(60).toMillis());
                }
                agents.forEach(RegistryAgent::close);
                backends.forEach(TestBackend::close);
            }
            assertEquals(Map.of(), failures, "failed requests during the rolling deploy");
            assertTrue(ok.sum() >= MIN_REQUESTS, "only " + ok.sum() + " requests");
        }
    }

    private static RegistryAgent agent(String zk, String id, int port) throws InterruptedException {
        RegistryAgent a = RegistryAgent.builder()
                .connectString(zk)
                .service("roll")
                .id(id)
                .address("127.0.0.1")
                .port(port)
                .drainPeriod(Duration.ofMillis(800))
                .shutdownHook(false)
                .build()
                .start();
        assertTrue(a.awaitRegistered(Duration.ofSeconds(10)), id + " registered");
        return a;
    }
}
