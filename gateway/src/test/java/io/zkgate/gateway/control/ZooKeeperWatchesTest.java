package io.zkgate.gateway.control;

import static io.zkgate.gateway.control.Znodes.instance;
import static io.zkgate.gateway.control.Znodes.routeJson;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.gateway.auth.AuthSources;
import io.zkgate.gateway.metrics.GatewayMetrics;
import io.zkgate.gateway.scripting.ScriptCatalog;
import io.zkgate.schema.ZnodeLayout;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The three watched trees against a real ZooKeeper: each znode read or changed reaches its registry. */
class ZooKeeperWatchesTest {
    private static final String SCRIPT = "function on_request(req) end";

    private final ZnodeLayout layout = ZnodeLayout.defaults();
    private final ExecutorService control = Executors.newSingleThreadExecutor();
    private final ScriptCatalog scripts = new ScriptCatalog(layout.scriptsPath(), 100_000);
    private final RouteRegistry routes = new RouteRegistry(layout.routesPath());
    private final ServiceRegistry services = new ServiceRegistry(layout, 0,
            new OutlierEjector(OutlierSettings.defaults()), (delayMs, service) -> {});
    private final AtomicInteger publishes = new AtomicInteger();
    private final CountDownLatch watching = new CountDownLatch(1);
    private TestingServer zk;
    private CuratorFramework client;
    private ZooKeeperWatches watches;

    @BeforeEach
    void startZooKeeper() throws Exception {
        zk = new TestingServer(true);
        client = CuratorFrameworkFactory.newClient(zk.getConnectString(), new RetryOneTime(100));
        client.start();
        watches = new ZooKeeperWatches(layout, control, scripts, routes, services,
                new AuthSources(layout, new GatewayMetrics()), publishes::incrementAndGet);
    }

    @AfterEach
    void stop() throws Exception {
        watches.close();
        control.shutdownNow();
        client.close();
        zk.close();
    }

    @Test
    void whatIsInZooKeeperAtStartReachesEachRegistryAndTheyCountAsReadInFull() throws Exception {
        create(layout.scriptsPath() + "/guard", SCRIPT);
        create(layout.routesPath() + "/a", routeJson("a", "/a", "one").replaceFirst("}$", ",\"script\":\"guard\"}"));
        byte[] x = instance("x", 9001, 1);
        client.create().creatingParentsIfNeeded().forPath("/services/one/x", x);

        startAndAwaitWatching();

        assertTrue(onControl(() -> routes.synced() && services.synced() && watches.scriptsSynced()));
        assertEquals("guard", onControl(() -> routes.state("a").applied().script()));
        assertEquals(Set.of("guard"), onControl(() -> Set.copyOf(scripts.states().keySet())));
        assertEquals(1, onControl(() -> services.build("one", System.nanoTime()).routable().length));
        assertArrayEquals(x, watches.instanceData("/services/one/x").orElseThrow());
        assertEquals(Optional.empty(), watches.instanceData("/services/one/nobody"));
        assertTrue(publishes.get() > 0, "a publish was asked for once the trees were read");
    }

    @Test
    void laterCreationsAndDeletionsReachTheirRegistryAndEachAsksForAPublish() throws Exception {
        create(layout.routesPath() + "/a", routeJson("a", "/a", "one"));
        create(layout.routesPath() + "/b", routeJson("b", "/b", "one"));
        client.create().creatingParentsIfNeeded().forPath("/services/one/x", instance("x", 9001, 1));
        startAndAwaitWatching();
        int before = publishes.get();

        client.create().forPath("/services/one/y", instance("y", 9002, 1));
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertEquals(2,
                onControl(() -> services.build("one", System.nanoTime()).routable().length)));
        client.delete().forPath(layout.routesPath() + "/a");
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertNull(onControl(() -> routes.state("a"))));

        assertEquals("/b", onControl(() -> routes.state("b").applied().match().pathPrefix()));
        assertTrue(publishes.get() >= before + 2, "each change asked for a publish");
    }

    @Test
    void aRouteDeletionMovesTheRoutesZxidToTheDeletionsSoGatewaysListSaysCurrent() throws Exception {
        create(layout.routesPath() + "/a", routeJson("a", "/a", "one"));
        create(layout.routesPath() + "/b", routeJson("b", "/b", "one"));
        startAndAwaitWatching();

        client.delete().forPath(layout.routesPath() + "/a");
        long deletion = client.checkExists().forPath(layout.routesPath()).getPzxid();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertEquals(deletion, onControl(routes::zxid)));
    }

    @Test
    void aChangedScriptMarksTheRoutesNamingItForARebuildAndOnlyThose() throws Exception {
        create(layout.scriptsPath() + "/guard", SCRIPT);
        create(layout.routesPath() + "/a", routeJson("a", "/a", "one").replaceFirst("}$", ",\"script\":\"guard\"}"));
        create(layout.routesPath() + "/b", routeJson("b", "/b", "one"));
        startAndAwaitWatching();
        onControl(routes::drainChanged);

        client.setData().forPath(layout.scriptsPath() + "/guard",
                "function on_request(req) req.respond(204) end".getBytes(StandardCharsets.UTF_8));

        Set<String> marked = new HashSet<>();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            marked.addAll(onControl(routes::drainChanged));
            assertEquals(Set.of("a"), marked, "'b' names no script");
        });
        assertEquals(1, onControl(() -> scripts.states().get("guard").latestVersion()), "the new script version");
    }

    private void startAndAwaitWatching() throws InterruptedException {
        watches.start(client, 10_000, watching::countDown);
        assertTrue(watching.await(30, TimeUnit.SECONDS), "every tree is watched");
    }

    private void create(String path, String data) throws Exception {
        client.create().creatingParentsIfNeeded().forPath(path, data.getBytes(StandardCharsets.UTF_8));
    }

    private <T> T onControl(Callable<T> query) throws Exception {
        return control.submit(query).get(5, TimeUnit.SECONDS);
    }
}
