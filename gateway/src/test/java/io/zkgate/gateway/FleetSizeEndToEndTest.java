package io.zkgate.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.zkgate.gateway.support.GatewayFixture;
import io.zkgate.gateway.support.Http;
import io.zkgate.gateway.support.TestBackend;
import java.time.Duration;
import org.apache.zookeeper.CreateMode;
import org.junit.jupiter.api.Test;

/**
 * A fleet-scoped limit divides by the gateways under {@code /zkgate/gateways} as this gateway sees them: a gateway
 * znode appearing or disappearing re-divides within a second, and while ZooKeeper is unreachable the last count
 * stays.
 */
class FleetSizeEndToEndTest {
    private static JsonNode limit(GatewayFixture f) {
        for (JsonNode r : Http.json(f.adminPort(), "/admin/routes").get("routes")) {
            if (r.get("id").asText().equals("fleet") && r.has("limits")) {
                return r.get("limits").get("rateLimits").get(0);
            }
        }
        return null;
    }

    private static int gateways(GatewayFixture f) {
        JsonNode l = limit(f);
        return l == null ? -1 : l.get("gateways").asInt();
    }

    @Test
    void gatewayZnodesComingAndGoingRedivideWithinASecondAndAnOutageKeepsTheLastCount() throws Exception {
        try (GatewayFixture f = new GatewayFixture("--gateway-id", "a")) {
            TestBackend backend = f.closeLater(TestBackend.start("b"));
            f.writer.register("svc", "1", backend.port(), 1);
            f.writer.putRoute("fleet", "{\"id\":\"fleet\",\"match\":{\"pathPrefix\":\"/fleet\"},\"service\":\"svc\","
                    + "\"rateLimit\":{\"requestsPerSecond\":100,\"burst\":10,\"key\":\"route\",\"scope\":\"fleet\"}}");
            await().atMost(Duration.ofSeconds(10)).until(() -> gateways(f) == 1);
            try (Gateway second = GatewayFixture.startGateway(f.zk.getConnectString(), "--gateway-id", "b")) {
                await().atMost(Duration.ofSeconds(10)).until(() -> gateways(f) == 2);
                assertEquals(50.0, limit(f).get("thisGatewayRequestsPerSecond").asDouble());
                assertEquals(5, limit(f).get("thisGatewayBurst").asInt());

                f.operator.create().withMode(CreateMode.EPHEMERAL).forPath("/zkgate/gateways/c", "{}".getBytes());
                await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(20))
                        .until(() -> gateways(f) == 3);
                assertEquals(4, limit(f).get("thisGatewayBurst").asInt(), "ceil(10 / 3)");
                f.operator.delete().forPath("/zkgate/gateways/c");
                await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(20))
                        .until(() -> gateways(f) == 2);

                f.zk.stop();
                for (int i = 0; i < 30; i++) {
                    Thread.sleep(100);
                    assertEquals(2, gateways(f), "while ZooKeeper is unreachable the last count stays");
                }
                f.zk.restart();
                await().atMost(Duration.ofSeconds(20)).until(() -> gateways(f) == 2);
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> gateways(f) == 1);
        }
    }
}
