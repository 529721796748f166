package io.zkgate.gateway;

import static io.zkgate.gateway.support.ZkWriter.route;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.zkgate.config.GatewaySettings;
import io.zkgate.gateway.support.GatewayFixture;
import io.zkgate.gateway.support.Http;
import io.zkgate.gateway.support.TestBackend;
import io.zkgate.schema.ServiceInstance;
import io.zkgate.schema.ServiceInstanceCodec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.zookeeper.CreateMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdminApiTest {
    @TempDir
    Path dir;

    @Test
    void routesServicesAndStatusDescribeWhatIsAppliedRefusedAndRegistered() throws Exception {
        Path accessLog = dir.resolve("access.log");
        try (GatewayFixture f = new GatewayFixture("--gateway-id", "gw-test", "--access-log", accessLog.toString())) {
            TestBackend a = f.closeLater(TestBackend.start("adm-a"));
            f.writer.register("adm", "a", a.port(), 3);
            f.writer.register("adm", "drained", a.port(), 0);
            f.writer.putRoute("adm", route("adm", "/adm", "adm"));
            await().atMost(Duration.ofSeconds(10)).until(() -> Http.get(f.port(), "/adm/q?x=1").statusCode() == 200);
            f.writer.putRoute("adm", "{\"id\":\"adm\",\"match\":{\"pathPrefix\":\"/adm\"},\"service\":\"adm\",\"lb\":{\"policy\":\"nope\"}}");
            await().atMost(Duration.ofSeconds(10)).until(() ->
                    Http.json(f.adminPort(), "/admin/routes").get("routes").get(0).has("rejected"));

            JsonNode route = Http.json(f.adminPort(), "/admin/routes").get("routes").get(0);
            assertEquals("adm", route.get("id").asText());
            assertEquals("/zkgate/routes/adm", route.get("znode").asText());
            assertTrue(route.get("serving").asBoolean());
            assertEquals(0, route.get("version").asInt(), "the last good version is served");
            assertEquals("/adm", route.get("route").get("match").get("pathPrefix").asText());
            assertEquals(1, route.get("rejected").get("version").asInt());
            assertTrue(route.get("rejected").get("error").asText().contains("lb.policy: unknown policy 'nope'"));
            assertEquals(1, route.get("requests").asLong());

            JsonNode service = Http.json(f.adminPort(), "/admin/services").get("services").get(0);
            assertEquals("adm", service.get("name").asText());
            assertEquals(1, service.get("routable").asInt());
            JsonNode inst = service.get("instances").get(0);
            assertEquals("a", inst.get("id").asText());
            assertEquals("127.0.0.1:" + a.port(), inst.get("address").asText());
            assertEquals(3, inst.get("weight").asInt());
            assertEquals(0, inst.get("inFlight").asInt());
            assertEquals("up", inst.get("health").asText());
            assertEquals("drained", service.get("instances").get(1).get("health").asText());

            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                JsonNode status = Http.json(f.adminPort(), "/admin/status");
                assertEquals("gw-test", status.get("gateway").asText());
                assertEquals("CONNECTED", status.get("zookeeper").get("state").asText());
                assertFalse(status.get("zookeeper").get("stale").asBoolean());
                assertTrue(status.get("snapshot").get("synced").asBoolean());
                assertTrue(status.get("uptimeSeconds").asLong() >= 0);
                JsonNode fleet = status.get("fleet");
                assertEquals(1, fleet.size());
                assertEquals("gw-test", fleet.get(0).get("id").asText());
                org.apache.zookeeper.data.Stat stat = f.operator.checkExists().forPath("/zkgate/routes/adm");
                long applied = fleet.get(0).get("appliedRouteZxid").asLong();
                assertTrue(applied >= stat.getCzxid() && applied < stat.getMzxid(),
                        "the fleet node shows the route version this gateway applied, not the refused edit: "
                                + fleet + " vs created " + stat.getCzxid() + ", refused edit " + stat.getMzxid());
            });
            byte[] own = f.operator.getData().forPath("/zkgate/gateways/gw-test");
            assertTrue(new String(own).contains("\"address\""), "ephemeral fleet node written");

            String page = Http.get(f.adminPort(), "/").body();
            assertTrue(page.contains("<title>zkgate status</title>") && page.contains("/admin/routes"));

            List<String> lines = Files.readAllLines(accessLog);
            String line = lines.stream().filter(l -> l.contains("/adm/q?x=1")).findFirst().orElseThrow(
                    () -> new AssertionError("no access log line in " + lines));
            assertTrue(line.matches("127\\.0\\.0\\.1 - - \\[[^]]+] \"GET /adm/q\\?x=1 HTTP/1\\.1\" 200 \\d+ \"-\" \"[^\"]*\" "
                    + "adm 127\\.0\\.0\\.1:" + a.port() + " \\d+\\.\\d\\d [0-9a-f]{32} [0-9a-f]{32}"), line);
        }
    }

    @Test
    void servicesShowEachInstancesMetadataAsRegistered() throws Exception {
        try (GatewayFixture f = new GatewayFixture()) {
            TestBackend a = f.closeLater(TestBackend.start("meta-a"));
            f.operator.create().creatingParentsIfNeeded().withMode(CreateMode.EPHEMERAL).forPath(
                    f.gateway.layout().instancePath("meta", "a"), ServiceInstanceCodec.toJson(new ServiceInstance("meta",
                            "a", "127.0.0.1", a.port(), 2, true, System.currentTimeMillis(),
                            Map.of("zone", "eu-1", "version", "2.4"))));

            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                JsonNode inst = Http.json(f.adminPort(), "/admin/services").get("services").get(0)
                        .get("instances").get(0);
                assertEquals("eu-1", inst.get("metadata").get("zone").asText(), inst.toString());
                assertEquals("2.4", inst.get("metadata").get("version").asText(), inst.toString());
            });
        }
    }

    @Test
    void theFleetNodeNamesTheRouteEditThisGatewayRefusedUntilItIsFixed() throws Exception {
        try (GatewayFixture f = new GatewayFixture("--gateway-id", "gw-r")) {
            f.writer.putRoute("r", route("r", "/r", "r"));
            await().atMost(Duration.ofSeconds(10)).until(() -> fleetNode(f).get("routes").asInt() == 1);

            f.writer.putRoute("r", "{\"match\":{\"pathPrefix\":\"/r\"},\"service\":\"r\",\"lb\":{\"policy\":\"x\"}}");
            await().atMost(Duration.ofSeconds(10)).until(() -> fleetNode(f).get("refusedRoutes").has("r"));
            assertTrue(fleetNode(f).get("refusedRoutes").get("r").asText().startsWith("lb.policy: unknown policy 'x'"),
                    fleetNode(f).toString());

            f.writer.putRoute("r", route("r", "/r", "r"));
            await().atMost(Duration.ofSeconds(10)).until(() -> fleetNode(f).get("refusedRoutes").isEmpty());
        }
    }

    private static JsonNode fleetNode(GatewayFixture f) throws Exception {
        return new ObjectMapper().readTree(f.operator.getData().forPath(f.gateway.layout().gatewayPath("gw-r")));
    }

    @Test
    void withATokenEverythingButHealthAndReadinessNeedsIt() throws Exception {
        try (GatewayFixture f = new GatewayFixture("--admin-token", "s3cret")) {
            f.awaitSynced();
            assertEquals(200, Http.get(f.adminPort(), "/health").statusCode());
            assertEquals(200, Http.get(f.adminPort(), "/ready").statusCode());
            for (String path : List.of("/metrics", "/admin/routes", "/admin/services", "/admin/status", "/")) {
                assertEquals(401, Http.get(f.adminPort(), path).statusCode(), path);
                assertEquals(401, Http.get(f.adminPort(), path, "Authorization", "Bearer wrong").statusCode(), path);
                assertEquals(200, Http.get(f.adminPort(), path, "Authorization", "Bearer s3cret").statusCode(), path);
            }
        }
    }

    @Test
    void anAdminHostOffLoopbackWithoutATokenIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GatewaySettings.of("--admin-host", "0.0.0.0"));
        assertTrue(e.getMessage().contains("--admin-token"), e.getMessage());
        assertEquals("0.0.0.0", GatewaySettings.of("--admin-host", "0.0.0.0", "--admin-token", "t").adminHost());
    }
}
