package io.zkgate.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.config.GatewaySettings;
import io.zkgate.gateway.support.Http;
import io.zkgate.gateway.zk.EmbeddedZooKeeper;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoModeTest {
    @TempDir
    Path dataDir;

    @Test
    void demoModeOnTheEmbeddedZooKeeperAlternatesBetweenTwoBackends() throws Exception {
        try (Gateway gateway = Gateway.start(GatewaySettings.of("--demo", "--port", "0", "--admin-port", "0",
                "--embedded-zk-port", "0", "--data-dir", dataDir.toString()))) {
            await().atMost(Duration.ofSeconds(10)).until(() -> Http.get(gateway.port(), "/demo/").statusCode() == 200);
            String first = Http.get(gateway.port(), "/demo/").body().trim();
            String second = Http.get(gateway.port(), "/demo/").body().trim();
            String third = Http.get(gateway.port(), "/demo/").body().trim();
            assertTrue(first.startsWith("demo-") && second.startsWith("demo-"), first + " " + second);
            assertNotEquals(first, second, "round-robin alternates");
            assertEquals(first, third);
            assertTrue(Files.isDirectory(dataDir.resolve("zookeeper")), "embedded data under <data-dir>/zookeeper");
        }
    }

    @Test
    void anEmbeddedZooKeeperPortInUseIsAClearError() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, java.net.InetAddress.getByName("127.0.0.1"))) {
            EmbeddedZooKeeper.EmbeddedZooKeeperException e = assertThrows(
                    EmbeddedZooKeeper.EmbeddedZooKeeperException.class,
                    () -> Gateway.start(GatewaySettings.of("--port", "0", "--admin-port", "0",
                            "--embedded-zk-port", Integer.toString(taken.getLocalPort()), "--data-dir", dataDir.toString())));
            assertTrue(e.getMessage().contains("cannot listen on 127.0.0.1:" + taken.getLocalPort()), e.getMessage());
            assertTrue(e.getMessage().contains("--zk"), "says how to join an existing ZooKeeper instead");
        }
    }
}
