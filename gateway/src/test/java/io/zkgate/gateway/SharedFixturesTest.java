package io.zkgate.gateway;

import static io.zkgate.gateway.support.ZkWriter.route;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.zkgate.gateway.control.RouteState;
import io.zkgate.gateway.support.GatewayFixture;
import io.zkgate.gateway.support.Http;
import io.zkgate.gateway.support.TestBackend;
import io.zkgate.schema.RouteCodec;
import io.zkgate.schema.RouteFiles;
import io.zkgate.schema.cli.ZkgateCtl;
import java.io.ByteArrayOutputStream;
import java.io.FileInputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.junit.jupiter.api.Test;

/**
 * The gateway half of "one validation": the CLI's route fixtures (zk-schema/src/test/resources/routes) written as
 * znodes, where the gateway must accept every good route and refuse every bad one naming the same field the CLI
 * names. And the ACL half of the operator CLI: a tree locked by {@code init --acl} still routes.
 */
class SharedFixturesTest {
    private static final Path FIXTURES = Path.of("..", "zk-schema", "src", "test", "resources", "routes");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void everyGoodFixtureIsServedAndEveryBadOneIsRefusedOnTheFieldTheCliNames() throws Exception {
        try (GatewayFixture f = new GatewayFixture()) {
            List<Path> good;
            try (Stream<Path> files = Files.list(FIXTURES.resolve("good"))) {
                good = files.sorted().toList();
            }
            RouteFiles.Loaded loaded = RouteFiles.load(good);
            assertTrue(loaded.ok(), loaded.problems().toString());
            for (RouteFiles.Entry e : loaded.routes()) {
                f.writer.putRaw("/zkgate/routes/" + e.route().id(), new String(RouteCodec.toJson(e.route()),
                        StandardCharsets.UTF_8));
            }

            Properties expected = new Properties();
            try (FileInputStream in = new FileInputStream(FIXTURES.resolve("bad/expected.properties").toFile())) {
                expected.load(in);
            }
            int written = 0;
            for (String file : expected.stringPropertyNames()) {
                if (file.startsWith("duplicate-ids")) {
                    continue; // znode names are unique: two routes with one id cannot exist in ZooKeeper
                }
                String text = Files.readString(FIXTURES.resolve("bad").resolve(file));
                JsonNode tree;
                try {
                    tree = (file.endsWith(".json") ? JSON : YAML).readTree(text);
                } catch (Exception parseError) {
                    continue; // a syntax error of the file format itself; JSON znodes have their own (RoutingEndToEndTest)
                }
                if (tree == null || !tree.isObject() || !tree.hasNonNull("id") || !tree.get("id").isTextual()) {
                    continue; // lists and non-routes are file-level problems the CLI reports
                }
                String id = "bad-" + tree.get("id").asText();
                ((ObjectNode) tree).put("id", id);
                String json = JSON.writeValueAsString(tree);
                String field = expected.getProperty(file);
                if (file.startsWith("duplicate-key")) {
                    // the tree kept one of the two keys; write the duplicate into the JSON itself
                    json = json.substring(0, json.length() - 1) + ",\"" + field + "\":\"other\"}";
                    field = "(document)";
                }
                f.writer.putRaw("/zkgate/routes/" + id, json);
                String refusedOn = field;
                written++;
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                    RouteState s = f.gateway.control().routeStates().get(id);
                    assertNotNull(s, id);
                    assertNull(s.applied(), id);
                    assertTrue(s.rejection().contains(": " + refusedOn), file + " must be refused on " + refusedOn
                            + ": " + s.rejection());
                });
            }
            assertTrue(written >= 6, "most bad fixtures are single routes the gateway can be given: " + written);

            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                Map<String, RouteState> states = f.gateway.control().routeStates();
                for (RouteFiles.Entry e : loaded.routes()) {
                    RouteState s = states.get(e.route().id());
                    assertNotNull(s, e.route().id());
                    assertEquals(e.route(), s.applied(), "served exactly as the CLI read it");
                    assertNull(s.rejection());
                }
            });
        }
    }

    @Test
    void aTreeLockedWithInitAclStillRoutesForAGatewayWithoutCredentials() throws Exception {
        try (GatewayFixture f = new GatewayFixture()) {
            String zk = f.zk.getConnectString();
            Path file = Files.writeString(Files.createTempFile("locked", ".json"), route("locked", "/locked", "locked"));
            assertEquals(0, ctl("--zk", zk, "--auth", "ops:secret", "init", "--acl"));
            assertEquals(0, ctl("--zk", zk, "--auth", "ops:secret", "routes", "apply", file.toString()));
            TestBackend b = f.closeLater(TestBackend.start("locked"));
            f.writer.register("locked", "1", b.port(), 1);
            await().atMost(Duration.ofSeconds(10)).until(() -> Http.get(f.port(), "/locked").statusCode() == 200);

            try (CuratorFramework anonymous = CuratorFrameworkFactory.newClient(zk, new RetryOneTime(100))) {
                anonymous.start();
                byte[] data = anonymous.getData().forPath("/zkgate/routes/locked");
                assertTrue(new String(data, StandardCharsets.UTF_8).contains("/locked"), "world can read");
                try {
                    anonymous.setData().forPath("/zkgate/routes/locked", "{}".getBytes(StandardCharsets.UTF_8));
                    throw new AssertionError("an unauthenticated client changed a locked route");
                } catch (org.apache.zookeeper.KeeperException.NoAuthException expectedRefusal) {
                    // the ACL holds
                }
            }
            assertEquals(200, Http.get(f.port(), "/locked").statusCode(), "still routing");
        }
    }

    private static int ctl(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = ZkgateCtl.run(args, new PrintStream(out), new PrintStream(err));
        if (code != 0) {
            System.err.println(out + "\n" + err);
        }
        return code;
    }
}
