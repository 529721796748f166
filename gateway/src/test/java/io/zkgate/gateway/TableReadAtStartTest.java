package io.zkgate.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.zkgate.gateway.support.GatewayFixture;
import io.zkgate.gateway.support.Http;
import io.zkgate.gateway.support.TestBackend;
import io.zkgate.gateway.support.ZkWriter;
import io.zkgate.schema.ServiceInstance;
import io.zkgate.schema.ServiceInstanceCodec;
import io.zkgate.schema.ZnodeLayout;
import java.time.Duration;
import java.util.Map;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.CreateMode;
import org.junit.jupiter.api.Test;

/**
 * A gateway started on a table already in ZooKeeper reads it in batches, serves it, and from then on follows every
 * change through its watches, as a gateway that read it znode by znode would.
 */
class TableReadAtStartTest {

    @Test
    void aTableInZooKeeperBeforeStartIsServedAndItsLaterChangesAreFollowed() throws Exception {
        try (TestingServer zk = new TestingServer();
                CuratorFramework operator = CuratorFrameworkFactory.newClient(zk.getConnectString(),
                        new RetryOneTime(200));
                TestBackend a = TestBackend.start("a");
                TestBackend b = TestBackend.start("b");
                TestBackend c = TestBackend.start("c")) {
            operator.start();
            ZkWriter writer = new ZkWriter(operator);
            writer.putRoute("one", ZkWriter.route("one", "/one", "one"));
            writer.putRoute("two", ZkWriter.route("two", "/two", "two"));
            writer.register("one", "a", a.port(), 1);
            operator.create().creatingParentContainersIfNeeded().withMode(CreateMode.EPHEMERAL).forPath(
                    ZnodeLayout.defaults().instancePath("two", "b"), ServiceInstanceCodec.toJson(new ServiceInstance(
                            "two", "b", "127.0.0.1", b.port(), 1, true, 0, Map.of("zone", "eu-1"))));

            try (Gateway gateway = GatewayFixture.startGateway(zk.getConnectString())) {
                await().atMost(Duration.ofSeconds(20)).until(() -> Http.get(gateway.port(), "/one/x").statusCode() == 200);
                assertEquals("a", Http.backendOf(Http.get(gateway.port(), "/one/x")));
                assertEquals("b", Http.backendOf(Http.get(gateway.port(), "/two/x")));
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                    JsonNode services = Http.json(gateway.adminPort(), "/admin/services").get("services");
                    assertEquals("eu-1", services.findValue("zone").asText(), services.toString());
                });

                await().atMost(Duration.ofSeconds(10)).until(() -> !Http.json(gateway.adminPort(),
                        "/admin/status").path("zookeeper").path("watchingSince").isNull());

                writer.deleteRoute("two");
                writer.deregister("one", "a");
                writer.register("one", "c", c.port(), 1);
                writer.putRoute("three", ZkWriter.route("three", "/three", "one"));

                await().atMost(Duration.ofSeconds(10)).until(() -> Http.get(gateway.port(), "/two/x").statusCode() == 404
                        && Http.get(gateway.port(), "/three/x").statusCode() == 200);
                for (int i = 0; i < 4; i++) {
                    assertEquals("c", Http.backendOf(Http.get(gateway.port(), "/one/x")), "the deregistered backend left");
                }
            }
        }
    }
}
