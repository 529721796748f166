package io.zkgate.gateway;

import static io.zkgate.gateway.support.JarProcess.freePort;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.gateway.support.Http;
import io.zkgate.gateway.support.JarProcess;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What an operator sees when the gateway jar cannot start or cannot reach ZooKeeper: one clear line each. */
class GatewayStartupIT {
    private static final Path JAR = Path.of("target", "zkgate-gateway.jar");
    private static final Path CTL_JAR = Path.of("..", "zk-schema", "target", "zkgate-ctl.jar");
    private static final Duration READY = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{1}")
    @CsvSource({"proxy, --port, --admin-port", "admin server, --admin-port, --port"})
    void aBusyPortIsOneLineNamingThePortAndItsFlagThenExitOne(String what, String flag, String otherFlag)
            throws Exception {
        try (ServerSocket busy = busyPort()) {
            int port = busy.getLocalPort();
            JarProcess gw = start("busy", "--host", "127.0.0.1", flag, Integer.toString(port),
                    otherFlag, Integer.toString(freePort()), "--embedded-zk-port", Integer.toString(freePort()),
                    "--data-dir", dir.resolve("data").toString());

            assertEquals(1, gw.exitCode(), gw.output());
            assertOneCleanError(gw.output(), "cannot listen on 127.0.0.1:" + port + " for the " + what
                    + ": the port is in use by another process; choose another with " + flag);
        }
    }

    @Test
    void aSecondGatewayOnTheSameDataDirectoryIsRefusedWithOneLineAndExitOneWhileTheFirstServesOn() throws Exception {
        Path data = dir.resolve("shared");
        int admin = freePort();
        try (JarProcess first = start("first", "--host", "127.0.0.1", "--port", Integer.toString(freePort()),
                "--admin-port", Integer.toString(admin), "--embedded-zk-port", Integer.toString(freePort()),
                "--data-dir", data.toString())) {
            await().atMost(READY).ignoreExceptions().until(() -> Http.get(admin, "/ready").statusCode() == 200);

            JarProcess second = start("second", "--host", "127.0.0.1", "--port", Integer.toString(freePort()),
                    "--admin-port", Integer.toString(freePort()), "--embedded-zk-port", Integer.toString(freePort()),
                    "--data-dir", data.toString());

            assertEquals(1, second.exitCode(), second.output());
            assertOneCleanError(second.output(), "embedded ZooKeeper: data directory "
                    + data.resolve("zookeeper").toAbsolutePath() + " is in use by another gateway (process "
                    + first.pid() + ")");
            assertTrue(second.output().contains("--data-dir"), second.output());
            assertEquals(200, Http.get(admin, "/ready").statusCode(), "the first gateway serves on");
            assertEquals(0, first.stop(), first.output());
        }
        int admin2 = freePort();
        try (JarProcess after = start("after", "--host", "127.0.0.1", "--port", Integer.toString(freePort()),
                "--admin-port", Integer.toString(admin2), "--embedded-zk-port", Integer.toString(freePort()),
                "--data-dir", data.toString())) {
            await().atMost(READY).ignoreExceptions().until(() -> Http.get(admin2, "/ready").statusCode() == 200);
            assertEquals(0, after.stop(), "the lock went with the first process: " + after.output());
        }
    }

    @Test
    void anUnreachableZooKeeperIsOneLinePerStateChangeNamingTheEnsembleAndReadyStays503UntilItComes()
            throws Exception {
        int zkPort = JarProcess.portForLater(); // bound by the TestingServer below, seconds later
        String connect = "127.0.0.1:" + zkPort;
        int admin = freePort();
        int port = freePort();
        try (JarProcess gw = start("unreachable", "--host", "127.0.0.1", "--port", Integer.toString(port),
                "--admin-port", Integer.toString(admin), "--zk", connect, "--zk-connection-timeout-ms", "1000")) {
            await().atMost(READY).until(() -> gw.output().contains("ZooKeeper UNREACHABLE at " + connect + " for "));
            Thread.sleep(5_000); // the client retries about once a second: room for the noise this test forbids
            assertEquals(503, Http.get(admin, "/ready").statusCode());
            var traffic = Http.get(port, "/anything");
            assertEquals(503, traffic.statusCode(), "traffic is told the gateway is not ready, not 404 no_route");
            assertTrue(traffic.body().contains("\"error\":\"not_ready\""), traffic.body());
            String quiet = gw.output();
            assertFalse(quiet.contains("\tat ") || quiet.contains("Exception"), quiet);
            assertEquals(1, count(quiet, "UNREACHABLE"), quiet);
            assertTrue(quiet.lines().count() < 12, "a few lines, not one per attempt:\n" + quiet);

            try (TestingServer zk = new TestingServer(zkPort, true)) {
                await().atMost(READY).ignoreExceptions().until(() -> Http.get(admin, "/ready").statusCode() == 200);
                assertTrue(gw.output().matches("(?s).*ZooKeeper CONNECTED at " + connect + " after \\d+ (s|ms|min).*"),
                        gw.output());
                assertEquals(0, gw.stop(), gw.output());
            }
        }
    }

    @Test
    void afterTheQuickStartTheDocumentedScriptInstallWorksWithoutInit() throws Exception {
        int zk = freePort();
        int admin = freePort();
        try (JarProcess gw = start("quick-start", "--demo", "--host", "127.0.0.1", "--port", Integer.toString(freePort()),
                "--admin-port", Integer.toString(admin), "--embedded-zk-port", Integer.toString(zk),
                "--data-dir", dir.resolve("data").toString())) {
            await().atMost(READY).ignoreExceptions().until(() -> Http.get(admin, "/ready").statusCode() == 200);
            String connect = "127.0.0.1:" + zk;

            JarProcess put = JarProcess.start(CTL_JAR, dir.resolve("put.log"), Map.of(), "--zk", connect,
                    "scripts", "put", "api-key", Path.of("..", "config", "examples", "scripts", "api-key.lua").toString());
            assertEquals(0, put.exitCode(), put.output());
            JarProcess list = JarProcess.start(CTL_JAR, dir.resolve("list.log"), Map.of(), "--zk", connect,
                    "scripts", "list");
            assertEquals(0, list.exitCode(), list.output());
            assertTrue(list.output().matches("(?s).*\\napi-key .* ok\\n.*"), list.output());
            assertEquals(0, gw.stop(), gw.output());
        }
    }

    @Test
    void inAnEnvironmentThatAlsoConfiguresAnAgentTheGatewayReadsOnlyItsOwnVariables() throws Exception {
        int port = freePort();
        int admin = freePort();
        Map<String, String> env = Map.of("ZKGATE_PORT", Integer.toString(port), "ZKGATE_ADMIN_PORT",
                Integer.toString(admin), "ZKGATE_EMBEDDED_ZK_PORT", Integer.toString(freePort()), "ZKGATE_DATA_DIR",
                dir.resolve("data").toString(), "ZKGATE_DEMO", "true", "ZKGATE_AGENT_PORT", "1",
                "ZKGATE_AGENT_SERVICE", "orders", "ZKGATE_AGENT_ZK", "127.0.0.1:1");
        try (JarProcess gw = JarProcess.start(JAR, dir.resolve("env.log"), env)) {
            await().atMost(READY).ignoreExceptions().until(() -> Http.get(admin, "/ready").statusCode() == 200
                    && Http.get(port, "/demo/").statusCode() == 200);
            assertEquals(0, gw.stop(), gw.output());
        }
    }

    @Test
    void anAgentVariableGivenToTheGatewayIsAUsageErrorNamingTheAgent() throws Exception {
        JarProcess gw = JarProcess.start(JAR, dir.resolve("agent-key.log"), Map.of("ZKGATE_SERVICE", "orders"));

        assertEquals(2, gw.exitCode(), gw.output());
        assertTrue(gw.output().contains("ZKGATE_SERVICE: unknown setting of the gateway: it is the registry agent's "
                + "(--service, env ZKGATE_AGENT_SERVICE)"), gw.output());
    }

    private JarProcess start(String name, String... args) throws Exception {
        return JarProcess.start(JAR, dir.resolve(name + ".log"), Map.of(), args);
    }

    private static ServerSocket busyPort() throws Exception {
        ServerSocket s = new ServerSocket();
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        return s;
    }

    /** The message, once, as the only error line; no stack trace and no shutdown lines. */
    private static void assertOneCleanError(String output, String message) {
        assertEquals(1, count(output, message), output);
        List<String> errors = output.lines().filter(l -> l.contains(" ERROR ")).toList();
        assertEquals(1, errors.size(), output);
        assertTrue(errors.get(0).contains(message), output);
        assertFalse(output.contains("\tat ") || output.contains("Exception"), output);
        assertFalse(output.contains("stopping") || output.contains("stopped"), output);
    }

    private static int count(String text, String part) {
        int n = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
            n++;
        }
        return n;
    }
}
