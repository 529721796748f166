package io.zkgate.agent;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The sidecar main as a separate process, run from the test class path. */
class AgentMainProcessTest extends SidecarFixture {
    @Test
    void sidecarRegistersAPlainHttpServerAndSigtermRemovesItAfterTheDrainPeriodWithExitZero() throws Exception {
        startZooKeeperAndBackend();
        long drainMs = 1500;
        sidecar = Sidecar.fromClassPath(dir, "--zk", server.getConnectString(), "--service", "web",
                "--port", Integer.toString(backend.port()), "--address", "127.0.0.1", "--id", "web-1",
                "--metadata", "zone=a", "--metadata", "version=2", "--health-url", backend.healthUrl().toString(),
                "--health-interval-ms", "200", "--drain-ms", Long.toString(drainMs));
        assertRegistersAndDrainsOnSigterm(drainMs);
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
        int zkPort = Zk.portForLater();
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
    void aServiceThatAnswersOnlyOnLoopbackIsNamedInOneLineAtStartup() throws Exception {
        String external = HostAddress.nonLoopback();
        assumeFalse(RegisteredAddress.isLoopback(external), "this host has a non-loopback address");
        startZooKeeperAndBackend(); // the backend listens on 127.0.0.1 only
        sidecar = Sidecar.fromClassPath(dir, "--zk", server.getConnectString(), "--service", "web", "--id", "web-1",
                "--port", Integer.toString(backend.port()), "--address", external, "--drain-ms", "0");

        String line = "port " + backend.port() + " answers on 127.0.0.1 but not on the registered address " + external;
        await().atMost(Duration.ofSeconds(30)).until(() -> sidecar.stdout().contains(line)
                || !sidecar.process().isAlive());
        await().atMost(Duration.ofSeconds(30)).until(() -> Zk.exists(observer, "/services/web/web-1"));
        assertEquals(1, sidecar.stdout().split(java.util.regex.Pattern.quote(line), -1).length - 1, sidecar.output());
    }
}
