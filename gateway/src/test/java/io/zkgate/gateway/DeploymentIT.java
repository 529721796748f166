package io.zkgate.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.gateway.support.Http;
import io.zkgate.gateway.support.JarProcess;
import io.zkgate.gateway.support.LoadClient;
import io.zkgate.gateway.support.TestBackend;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.curator.x.discovery.ServiceDiscovery;
import org.apache.curator.x.discovery.ServiceDiscoveryBuilder;
import org.apache.curator.x.discovery.ServiceInstance;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * zkgate deployed the way operators run it, every part its own process: a ZooKeeper server, two gateway jars on
 * it, routes written with the zkgate-ctl jar, and backends registered by curator-x-discovery itself. Under load
 * through both gateways a backend dies without deregistering and the ZooKeeper process is killed and restarted;
 * no request may fail, and a route added afterwards must reach both gateways.
 */
class DeploymentIT {
    private static final Path GATEWAY_JAR = Path.of("target", "zkgate-gateway.jar");
    private static final Path CTL_JAR = Path.of("..", "zk-schema", "target", "zkgate-ctl.jar");
    private static final Duration READY = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private final List<Process> processes = new ArrayList<>();
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void stopEverything() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        for (Process p : processes) {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void twoGatewaysOnAZooKeeperProcessLoseNoRequestWhenABackendDiesAndZooKeeperRestarts() throws Exception {
        int zkPort = JarProcess.portForLater();
        Process zk = startZooKeeper(zkPort);
        String connect = "127.0.0.1:" + zkPort;
        CuratorFramework client = CuratorFrameworkFactory.newClient(connect, 30_000, 15_000,
                new ExponentialBackoffRetry(200, 20, 2_000));
        client.start();
        closeables.add(client);
        assertTrue(client.blockUntilConnected(60, TimeUnit.SECONDS), "ZooKeeper process reachable");

        ServiceDiscovery<Void> discovery = ServiceDiscoveryBuilder.builder(Void.class)
                .client(client).basePath("/services").build();
        discovery.start();
        closeables.add(discovery);
        List<TestBackend> backends = new ArrayList<>();
        for (String id : List.of("a", "b", "c")) {
            TestBackend backend = TestBackend.start("orders-" + id);
            closeables.add(backend);
            backends.add(backend);
            discovery.registerService(ServiceInstance.<Void>builder()
                    .name("orders").id(id).address("127.0.0.1").port(backend.port()).build());
        }
        ctl(connect, "init");
        applyRoute(connect, "orders", "{\"id\":\"orders\",\"match\":{\"pathPrefix\":\"/orders\"},\"service\":\"orders\"}");

        int[] ports = {JarProcess.portForLater(), JarProcess.portForLater()};
        int[] admins = {JarProcess.portForLater(), JarProcess.portForLater()};
        Process[] gateways = new Process[2];
        for (int i = 0; i < 2; i++) {
            gateways[i] = startGateway("gw-" + (i + 1), "--zk", connect, "--port", Integer.toString(ports[i]),
                    "--admin-port", Integer.toString(admins[i]), "--gateway-id", "gw-" + (i + 1),
                    "--zk-session-timeout-ms", "30000");
        }
        for (int i = 0; i < 2; i++) {
            int port = ports[i];
            int admin = admins[i];
            await().atMost(READY).ignoreExceptions().until(() -> Http.get(admin, "/ready").statusCode() == 200
                    && Http.get(port, "/orders/").statusCode() == 200);
        }

        LoadClient[] load = new LoadClient[2];
        for (int i = 0; i < 2; i++) {
            load[i] = new LoadClient(ports[i], "/orders/x", "GET", 4, 5, Duration.ofSeconds(120));
            closeables.add(load[i]);
        }
        Thread.sleep(2_000);
        backends.get(0).close(); // dies; its registration stays, as after a crash whose session has not expired
        Thread.sleep(3_000);

        zk.destroyForcibly(); // kill -9
        assertTrue(zk.waitFor(30, TimeUnit.SECONDS));
        Thread.sleep(5_000);
        startZooKeeper(zkPort);
        assertTrue(client.blockUntilConnected(60, TimeUnit.SECONDS), "ZooKeeper process back");

        applyRoute(connect, "late", "{\"id\":\"late\",\"match\":{\"pathPrefix\":\"/late\"},\"service\":\"orders\"}");
        for (int port : ports) {
            await().atMost(READY).until(() -> Http.get(port, "/late/").statusCode() == 200);
        }
        Thread.sleep(2_000);
        for (LoadClient l : load) {
            l.close();
        }

        for (int i = 0; i < 2; i++) {
            assertEquals(0, load[i].failureCount(), "gateway " + (i + 1) + " failures: " + load[i].failures());
            assertTrue(load[i].ok() > 200, "gateway " + (i + 1) + " served only " + load[i].ok());
        }
        assertTrue(backends.get(0).hits() > 0, "the backend that died was in rotation before");
        String status = Http.get(admins[0], "/admin/status").body();
        assertTrue(status.contains("gw-1") && status.contains("gw-2"), "fleet view lists both: " + status);

        for (int i = 0; i < 2; i++) {
            gateways[i].destroy(); // SIGTERM
            assertTrue(gateways[i].waitFor(30, TimeUnit.SECONDS), "gateway " + (i + 1) + " stopped on SIGTERM");
            String log = Files.readString(dir.resolve("gw-" + (i + 1) + ".log"), StandardCharsets.UTF_8);
            assertEquals(0, gateways[i].exitValue(), log);
            assertTrue(log.contains("ZooKeeper SUSPENDED") && log.contains("ZooKeeper RECONNECTED"),
                    "gateway " + (i + 1) + " lived through the ZooKeeper restart: " + log);
        }
    }

    private Process startZooKeeper(int port) throws IOException {
        Path data = dir.resolve("zookeeper");
        Files.createDirectories(data);
        return start("zookeeper", List.of(java(), "-Xmx128m", "-Dzookeeper.admin.enableServer=false",
                "-cp", System.getProperty("java.class.path"), "org.apache.zookeeper.server.ZooKeeperServerMain",
                Integer.toString(port), data.toString()));
    }

    private Process startGateway(String name, String... flags) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(java(), "-Xmx128m", "-jar", GATEWAY_JAR.toAbsolutePath().toString()));
        cmd.addAll(List.of(flags));
        return start(name, cmd);
    }

    private void applyRoute(String connect, String id, String json) throws Exception {
        Path file = dir.resolve(id + ".json");
        Files.writeString(file, json, StandardCharsets.UTF_8);
        ctl(connect, "routes", "apply", file.toString());
    }

    private void ctl(String connect, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(java(), "-jar", CTL_JAR.toAbsolutePath().toString(),
                "--zk", connect));
        cmd.addAll(List.of(args));
        Path log = dir.resolve("ctl.log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "zkgate-ctl finished");
        assertEquals(0, p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
    }

    private Process start(String name, List<String> cmd) throws IOException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(name + ".log").toFile())).start();
        processes.add(p);
        return p;
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
