package io.zkgate.gateway;

import static io.zkgate.gateway.support.JarProcess.freePort;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.gateway.support.Http;
import io.zkgate.gateway.support.JarProcess;
import io.zkgate.gateway.support.TestBackend;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * registry-agent/README.md's sidecar example walked as an operator would, with the jars as processes: the quick
 * start's gateway (demo on the embedded ZooKeeper), a service registered by the agent sidecar with the documented
 * flags, a route applied with zkgate-ctl, a request through the gateway, and SIGTERM draining the agent.
 */
class DocsWalkIT {
    private static final Path GATEWAY_JAR = Path.of("target", "zkgate-gateway.jar");
    private static final Path AGENT_JAR = Path.of("..", "registry-agent", "target", "zkgate-agent.jar");
    private static final Path CTL_JAR = Path.of("..", "zk-schema", "target", "zkgate-ctl.jar");

    @TempDir
    Path dir;

    @Test
    void theAgentSidecarExampleRegistersAServiceThatTheGatewayRoutesToAndSigtermDrainsIt() throws Exception {
        int zk = freePort();
        int port = freePort();
        int admin = freePort();
        try (TestBackend orders = TestBackend.start("orders");
                JarProcess gw = JarProcess.start(GATEWAY_JAR, dir.resolve("gateway.log"), Map.of(), "--demo",
                        "--host", "127.0.0.1", "--port", Integer.toString(port), "--admin-port",
                        Integer.toString(admin), "--embedded-zk-port", Integer.toString(zk), "--data-dir",
                        dir.resolve("data").toString())) {
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
                    .until(() -> Http.get(admin, "/ready").statusCode() == 200);
            String connect = "127.0.0.1:" + zk;
            int service = orders.port();
            try (JarProcess agent = JarProcess.start(AGENT_JAR, dir.resolve("agent.log"), Map.of(), "--zk", connect,
                    "--service", "orders", "--port", Integer.toString(service), "--address", "127.0.0.1",
                    "--metadata", "zone=a", "--metadata", "version=2", "--health-url",
                    "http://127.0.0.1:" + service + "/health", "--drain-ms", "10000")) {
                Path routeFile = dir.resolve("orders.yaml");
                Files.writeString(routeFile, "id: orders\nmatch: {pathPrefix: /orders}\nservice: orders\n",
                        StandardCharsets.UTF_8);
                JarProcess apply = JarProcess.start(CTL_JAR, dir.resolve("apply.log"), Map.of(), "--zk", connect,
                        "routes", "apply", routeFile.toString());
                assertEquals(0, apply.exitCode(), apply.output());

                await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
                        .until(() -> Http.get(port, "/orders/").statusCode() == 200);
                assertEquals("orders", Http.backendOf(Http.get(port, "/orders/x")));
                String services = Http.get(admin, "/admin/services").body();
                assertTrue(services.contains("\"zone\"") && services.contains("\"version\""),
                        "the documented metadata is registered: " + services);

                assertEquals(0, agent.stop(), "SIGTERM drains and exits 0: " + agent.output());
                await().atMost(Duration.ofSeconds(30)).until(() -> Http.get(port, "/orders/").statusCode() == 503);
            }
            assertEquals(0, gw.stop(), gw.output());
        }
    }
}
