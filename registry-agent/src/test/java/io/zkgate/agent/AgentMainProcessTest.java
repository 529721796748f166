package io.zkgate.agent;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.net.ServerSocket;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sidecar main as a separate process, run from the test class path. */
class AgentMainProcessTest {
    @TempDir
    Path dir;

    private TestingServer server;
    private CuratorFramework observer;
    private Backend backend;
    private Sidecar sidecar;

    @AfterEach
    void tearDown() {
        Zk.closeQuietly(sidecar, observer, server, backend);
    }

    @Test
    void sidecarRegistersAPlainHttpServerAndSigtermRemovesItAfterTheDrainPeriodWithExitZero() throws Exception {
        server = Zk.server();
        observer = Zk.observer(server.getConnectString());
        backend = new Backend();
        long drainMs = 1500;
        sidecar = Sidecar.fromClassPath(dir, "--zk", server.getConnectString(), "--service", "web",
                "--port", Integer.toString(backend.port()), "--address", "127.0.0.1", "--id", "web-1",
                "--metadata", "zone=a", "--metadata", "version=2", "--health-url", backend.healthUrl().toString(),
                "--health-interval-ms", "200", "--drain-ms", Long.toString(drainMs));
        assertRegistersAndDrainsOnSigterm(sidecar, observer, backend, drainMs);
    }

    /** Shared with the packaged-jar check. */
    static void assertRegistersAndDrainsOnSigterm(Sidecar sidecar, CuratorFramework observer, Backend backend,
            long drainMs) throws Exception {
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

    @Test
    void badFlagsExitTwoWithUsage() throws Exception {
        sidecar = Sidecar.fromClassPath(dir, "--zk", "127.0.0.1:2181", "--service", "web", "--port", "http");
        assertTrue(sidecar.process().waitFor(30, TimeUnit.SECONDS));
        assertEquals(2, sidecar.process().exitValue(), sidecar.output());
        assertTrue(sidecar.stderr().contains("--port"), sidecar.output());
        assertTrue(sidecar.stderr().contains("Usage:"), sidecar.output());
    }

    @Test
    void missingRequiredFlagExitsTwo() throws Exception {
        sidecar = Sidecar.fromClassPath(dir, "--zk", "127.0.0.1:2181", "--port", "8080");
        assertTrue(sidecar.process().waitFor(30, TimeUnit.SECONDS));
        assertEquals(2, sidecar.process().exitValue(), sidecar.output());
        assertTrue(sidecar.stderr().contains("--service: missing"), sidecar.output());
    }

    @Test
    void unreachableZooKeeperIsRetriedWithOneLogLineAndRegistersOnceItAnswers() throws Exception {
        int zkPort;
        try (ServerSocket probe = new ServerSocket(0)) {
            zkPort = probe.getLocalPort();
        }
        backend = new Backend();
        sidecar = Sidecar.fromClassPath(dir, "--zk", "127.0.0.1:" + zkPort, "--service", "web", "--id", "web-1",
                "--port", Integer.toString(backend.port()), "--address", "127.0.0.1",
                "--zk-connection-timeout-ms", "500", "--drain-ms", "0");
        await().atMost(Duration.ofSeconds(30)).until(() -> sidecar.stdout().contains("unreachable")
                || !sidecar.process().isAlive());
        Thread.sleep(2000); // several more failed connection attempts
        assertTrue(sidecar.process().isAlive(), sidecar.output());
        String out = sidecar.stdout();
        assertEquals(1, out.split("unreachable", -1).length - 1, "one line about it\n" + sidecar.output());
        assertTrue(out.lines().count() <= 4, "quiet while retrying\n" + sidecar.output());

        server = Zk.server(zkPort);
        observer = Zk.observer(server.getConnectString());
        await().atMost(Duration.ofSeconds(30)).until(() -> Zk.exists(observer, "/services/web/web-1"));
        sidecar.process().destroy();
        assertTrue(sidecar.process().waitFor(20, TimeUnit.SECONDS), sidecar.output());
        assertEquals(0, sidecar.process().exitValue(), sidecar.output());
        assertFalse(Zk.exists(observer, "/services/web/web-1"));
    }

    @Test
    void aServiceThatAnswersOnlyOnLoopbackIsNamedInOneLineAtStartupAndNotRegistered() throws Exception {
        String external = HostAddress.nonLoopback();
        assumeFalse(RegisteredAddress.isLoopback(external), "this host has a non-loopback address");
        server = Zk.server();
        observer = Zk.observer(server.getConnectString());
        backend = new Backend(); // listens on 127.0.0.1 only
        sidecar = Sidecar.fromClassPath(dir, "--zk", server.getConnectString(), "--service", "web", "--id", "web-1",
                "--port", Integer.toString(backend.port()), "--address", external,
                "--health-url", backend.healthUrl().toString(), "--health-interval-ms", "200", "--drain-ms", "0");

        String line = "port " + backend.port() + " answers on 127.0.0.1 but not on the registered address " + external;
        await().atMost(Duration.ofSeconds(30)).until(() -> sidecar.stdout().contains(line)
                || !sidecar.process().isAlive());
        Thread.sleep(2000); // ten health intervals: time enough to register, were the check on loopback
        assertEquals(1, sidecar.stdout().split(java.util.regex.Pattern.quote(line), -1).length - 1, sidecar.output());
        assertFalse(Zk.exists(observer, "/services/web/web-1"), "checked where gateways connect: " + sidecar.output());
        assertEquals(0, backend.healthRequests(), "the loopback health URL was not asked");
    }
}
