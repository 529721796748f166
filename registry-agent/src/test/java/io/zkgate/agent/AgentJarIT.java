package io.zkgate.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The packaged sidecar jar itself (runs after {@code package}, under failsafe). */
class AgentJarIT {
    private static final Path JAR = Path.of("target", "zkgate-agent.jar");

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
    void packagedJarPrintsUsageForHelp() throws Exception {
        assertTrue(Files.isRegularFile(JAR), JAR.toAbsolutePath() + " exists after package");
        sidecar = Sidecar.fromJar(dir, JAR, "--help");
        assertTrue(sidecar.process().waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, sidecar.process().exitValue(), sidecar.output());
        assertTrue(sidecar.stdout().contains("--health-url"), sidecar.output());
    }

    @Test
    void packagedJarRegistersAPlainHttpServerAndSigtermRemovesItAfterTheDrainPeriodWithExitZero()
            throws Exception {
        server = Zk.server();
        observer = Zk.observer(server.getConnectString());
        backend = new Backend();
        long drainMs = 1000;
        sidecar = Sidecar.fromJar(dir, JAR, "--zk", server.getConnectString(), "--service", "web", "--id", "web-1",
                "--port", Integer.toString(backend.port()), "--address", "127.0.0.1", "--metadata",
                "zone=a,version=2", "--health-url", backend.healthUrl().toString(), "--health-interval-ms", "200",
                "--drain-ms", Long.toString(drainMs));
        AgentMainProcessTest.assertRegistersAndDrainsOnSigterm(sidecar, observer, backend, drainMs);
    }
}
