package io.zkgate.agent;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The packaged sidecar jar itself (runs after {@code package}, under failsafe). */
class AgentJarIT extends SidecarFixture {
    private static final Path JAR = Path.of("target", "zkgate-agent.jar");

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
        startZooKeeperAndBackend();
        long drainMs = 1000;
        sidecar = Sidecar.fromJar(dir, JAR, "--zk", server.getConnectString(), "--service", "web", "--id", "web-1",
                "--port", Integer.toString(backend.port()), "--address", "127.0.0.1", "--metadata",
                "zone=a,version=2", "--health-url", backend.healthUrl().toString(), "--health-interval-ms", "200",
                "--drain-ms", Long.toString(drainMs));
        assertRegistersAndDrainsOnSigterm(drainMs);
    }

    @Test
    void inAnEnvironmentThatAlsoConfiguresAGatewayTheJarReadsOnlyItsOwnVariables() throws Exception {
        startZooKeeperAndBackend();
        sidecar = Sidecar.fromJar(dir, JAR, Map.of("ZKGATE_PORT", "8080", "ZKGATE_ADMIN_PORT", "9090",
                "ZKGATE_ZK", "127.0.0.1:1", "ZKGATE_AGENT_ZK", server.getConnectString(), "ZKGATE_AGENT_SERVICE", "web",
                "ZKGATE_AGENT_ID", "web-1", "ZKGATE_AGENT_ADDRESS", "127.0.0.1",
                "ZKGATE_AGENT_PORT", Integer.toString(backend.port())));

        await().atMost(Duration.ofSeconds(60)).until(() -> Zk.exists(observer, "/services/web/web-1"));
        String json = new String(observer.getData().forPath("/services/web/web-1"), StandardCharsets.UTF_8);
        assertTrue(json.contains("\"port\":" + backend.port()), json);
        assertFalse(sidecar.output().contains("deprecated"), sidecar.output());
    }

    @Test
    void theOldSharedVariableNamesStillRegisterWithOneDeprecationLine() throws Exception {
        startZooKeeperAndBackend();
        sidecar = Sidecar.fromJar(dir, JAR, Map.of("ZKGATE_ZK", server.getConnectString(), "ZKGATE_SERVICE", "web",
                "ZKGATE_ID", "web-1", "ZKGATE_ADDRESS", "127.0.0.1", "ZKGATE_PORT", Integer.toString(backend.port()),
                "ZKGATE_ADMIN_PORT", "9090"));

        await().atMost(Duration.ofSeconds(60)).until(() -> Zk.exists(observer, "/services/web/web-1"));
        List<String> deprecated = sidecar.stderr().lines().filter(l -> l.contains("deprecated")).toList();
        assertEquals(1, deprecated.size(), sidecar.output());
        assertTrue(deprecated.get(0).contains("use ZKGATE_AGENT_ADDRESS, ZKGATE_AGENT_ID, ZKGATE_AGENT_PORT, "
                + "ZKGATE_AGENT_SERVICE, ZKGATE_AGENT_ZK"), deprecated.get(0));
    }
}
