package io.zkgate.gateway;

import static io.zkgate.gateway.support.ZkWriter.route;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.zkgate.gateway.support.GatewayFixture;
import io.zkgate.gateway.support.Http;
import io.zkgate.gateway.support.LoadClient;
import io.zkgate.gateway.support.TestBackend;
import io.zkgate.gateway.support.ZkWriter;
import io.zkgate.schema.ServiceInstance;
import io.zkgate.schema.ServiceInstanceCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryForever;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingCluster;
import org.junit.jupiter.api.Test;

/**
 * ZooKeeper going away under load costs no request: the gateway serves its last snapshot, says it is stale, and
 * resyncs when ZooKeeper is back. Backends are registered as persistent znodes here so that what is measured is
 * the gateway alone (agents re-registering are covered by the registry agent's own tests and RollingDeployTest).
 */
class ZooKeeperOutageTest {
    @Test
    void zooKeeperStoppedForThirtySecondsUnderLoadCostsNoRequestAndLaterChangesAreFollowed() throws Exception {
        try (GatewayFixture f = new GatewayFixture()) {
            TestBackend a = f.closeLater(TestBackend.start("out-a"));
            TestBackend b = f.closeLater(TestBackend.start("out-b"));
            registerPersistent(f.writer, "out", "a", a.port());
            registerPersistent(f.writer, "out", "b", b.port());
            f.writer.putRoute("out", route("out", "/out", "out"));
            await().atMost(Duration.ofSeconds(10)).until(() -> Http.get(f.port(), "/out").statusCode() == 200);

            try (LoadClient load = new LoadClient(f.port(), "/out/x", "GET", 4, 5, Duration.ofSeconds(90))) {
                Thread.sleep(500);
                f.zk.stop();
                await().atMost(Duration.ofSeconds(20)).until(() ->
                        Http.json(f.adminPort(), "/admin/status").get("zookeeper").get("stale").asBoolean());
                JsonNode status = Http.json(f.adminPort(), "/admin/status").get("zookeeper");
                assertTrue(status.has("staleSince"), status.toString());
                Thread.sleep(30_000 - 1_000);
                assertEquals(200, Http.get(f.adminPort(), "/ready").statusCode(), "ready while serving the snapshot");
                assertEquals(2, f.gateway.snapshots().current().services().get("out").routable().length,
                        "the snapshot was never emptied");
                f.zk.restart();
                await().atMost(Duration.ofSeconds(30)).until(() ->
                        !Http.json(f.adminPort(), "/admin/status").get("zookeeper").get("stale").asBoolean());

                TestBackend c = f.closeLater(TestBackend.start("out-c"));
                registerPersistent(f.writer, "after", "c", c.port());
                f.writer.putRoute("after", route("after", "/after", "after"));
                await().atMost(Duration.ofSeconds(20)).until(() -> Http.get(f.port(), "/after").statusCode() == 200);
                long before = load.ok();
                Thread.sleep(500);
                assertTrue(load.ok() > before, "still serving");
                load.close();
                assertEquals(Map.of(), load.failures(), "failed requests during the outage");
                assertTrue(load.ok() > 1000, "requests sent: " + load.ok());
            }
        }
    }

    @Test
    void losingTheEnsembleMemberTheGatewayTalksToAndRestartingAnotherCostsNoRequest() throws Exception {
        try (TestingCluster cluster = new TestingCluster(3)) {
            cluster.start();
            try (Gateway gateway = GatewayFixture.startGateway(cluster.getConnectString());
                    CuratorFramework operator = CuratorFrameworkFactory.newClient(cluster.getConnectString(),
                            new RetryForever(200))) {
                operator.start();
                ZkWriter writer = new ZkWriter(operator);
                try (TestBackend a = TestBackend.start("ens-a"); TestBackend b = TestBackend.start("ens-b")) {
                    registerPersistent(writer, "ens", "a", a.port());
                    registerPersistent(writer, "ens", "b", b.port());
                    writer.putRoute("ens", route("ens", "/ens", "ens"));
                    await().atMost(Duration.ofSeconds(20)).until(() -> Http.get(gateway.port(), "/ens").statusCode() == 200);

                    try (LoadClient load = new LoadClient(gateway.port(), "/ens/x", "GET", 4, 5, Duration.ofSeconds(60))) {
                        Thread.sleep(500);
                        InstanceSpec connected = cluster.findConnectionInstance(
                                gateway.curator().getZookeeperClient().getZooKeeper());
                        assertTrue(cluster.killServer(connected), "killed " + connected);
                        await().atMost(Duration.ofSeconds(30)).until(() -> gateway.curator().getZookeeperClient().isConnected());
                        InstanceSpec other = cluster.getInstances().stream()
                                .filter(s -> !s.equals(connected)).findFirst().orElseThrow();
                        assertTrue(cluster.restartServer(other), "restarted " + other);
                        Thread.sleep(3_000);
                        writer.putRoute("ens2", route("ens2", "/ens2", "ens"));
                        await().atMost(Duration.ofSeconds(30)).until(() -> Http.get(gateway.port(), "/ens2").statusCode() == 200);
                        load.close();
                        assertEquals(Map.of(), load.failures(), "failed requests while ensemble members went away");
                        assertTrue(load.ok() > 300, "requests sent: " + load.ok());
                    }
                }
            }
        }
    }

    private static void registerPersistent(ZkWriter writer, String service, String id, int port) throws Exception {
        writer.putRaw("/services/" + service + "/" + id, new String(ServiceInstanceCodec.toJson(new ServiceInstance(
                service, id, "127.0.0.1", port, 1, true, System.currentTimeMillis(), Map.of())), StandardCharsets.UTF_8));
    }
}
