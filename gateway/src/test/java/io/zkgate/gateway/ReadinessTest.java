package io.zkgate.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.zkgate.gateway.support.GatewayFixture;
import io.zkgate.gateway.support.Http;
import io.zkgate.gateway.support.JarProcess;
import io.zkgate.schema.ZnodeLayout;
import java.time.Duration;
import java.util.List;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.Test;

class ReadinessTest {
    @Test
    void readyIs503BeforeTheFirstFullSyncAnd200AfterWhileHealthIsAlways200() throws Exception {
        try (TestingServer zk = new TestingServer(JarProcess.portForLater(), false); // started while the gateway retries
                Gateway gateway = GatewayFixture.startGateway(zk.getConnectString(),
                        "--zk-connection-timeout-ms", "1000")) {
            assertEquals(200, Http.get(gateway.adminPort(), "/health").statusCode());
            assertEquals(503, Http.get(gateway.adminPort(), "/ready").statusCode());
            Thread.sleep(500);
            assertEquals(503, Http.get(gateway.adminPort(), "/ready").statusCode(), "ZooKeeper is still down");

            zk.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> Http.get(gateway.adminPort(), "/ready").statusCode() == 200);
            assertEquals(200, Http.get(gateway.adminPort(), "/health").statusCode());
        }
    }

    @Test
    void aGatewayCreatesEveryRootItWatchesOnceZooKeeperIsReachableSoNoInitIsNeeded() throws Exception {
        try (GatewayFixture f = new GatewayFixture()) {
            ZnodeLayout layout = f.gateway.layout();
            for (String root : List.of(layout.routesPath(), layout.scriptsPath(), layout.gatewaysPath(),
                    layout.servicesPath())) {
                await().atMost(Duration.ofSeconds(30))
                        .until(() -> f.operator.checkExists().forPath(root) != null);
                assertEquals(0, f.operator.checkExists().forPath(root).getEphemeralOwner(), root + " is persistent");
            }
        }
    }
}
