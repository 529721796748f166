package io.zkgate.agent;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/** What the sidecar process tests share: a work folder, and what a test starts, closed after it. */
abstract class SidecarFixture {
    @TempDir
    Path dir;

    TestingServer server;
    CuratorFramework observer;
    Backend backend;
    Sidecar sidecar;

    /** A ZooKeeper with an observer client on it, and a backend for the sidecar to register. */
    void startZooKeeperAndBackend() throws Exception {
        server = Zk.server();
        observer = Zk.observer(server.getConnectString());
        backend = new Backend();
    }

    @AfterEach
    void closeWhatTheTestStarted() {
        Zk.closeQuietly(sidecar, observer, server, backend);
    }

    /**
     * The sidecar started as service web, id web-1, on the backend with metadata zone=a and version=2 and its
     * health URL: it registers the backend, and SIGTERM drains it for {@code drainMs}, removes it and exits 0.
     */
    void assertRegistersAndDrainsOnSigterm(long drainMs) throws Exception {
        String path = "/services/web/web-1";
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                .until(() -> Zk.exists(observer, path) || !sidecar.process().isAlive());
        assertTrue(sidecar.process().isAlive(), sidecar.output());
        Zk.Seen seen = Zk.read(observer, path);
        assertEquals(1, seen.instance().weight());
        assertEquals(Map.of("zone", "a", "version", "2"), Zk.metadataWithoutWeight(seen));
        // What a gateway would do with the registration: reach the plain HTTP server through it.
        HttpResponse<String> answer = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                "http://" + seen.instance().address() + ":" + seen.instance().port() + "/")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals("hello from " + backend.port(), answer.body());
        assertTrue(backend.healthRequests() > 0, "the health URL was polled");

        long termAt = System.nanoTime();
        sidecar.process().destroy(); // SIGTERM
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(10)).until(() -> {
            Zk.Seen s = Zk.read(observer, path);
            return s == null || s.instance().weight() == 0;
        });
        assertTrue(Zk.exists(observer, path), "drained (weight 0) before removal\n" + sidecar.output());
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(10))
                .until(() -> !Zk.exists(observer, path));
        long goneMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - termAt);
        assertTrue(goneMs >= drainMs, "removed " + goneMs + " ms after SIGTERM, not before the drain period");
        assertTrue(sidecar.process().waitFor(20, TimeUnit.SECONDS), "exited\n" + sidecar.output());
        assertEquals(0, sidecar.process().exitValue(), sidecar.output());
        String out = sidecar.stdout();
        for (String line : List.of("connected to ZooKeeper", "registered /services/web/web-1", "draining",
                "drained and unregistered")) {
            assertTrue(out.contains(line), line + "\n" + sidecar.output());
        }
    }
}
