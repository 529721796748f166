package io.zkgate.schema.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.apache.zookeeper.CreateMode;
import org.junit.jupiter.api.Test;

class GatewaysCommandTest extends ZkTestSupport {
    @Test
    void anAbsentFleetViewIsReportedNotAnError() {
        CtlRun run = ctl("gateways", "list");

        assertEquals(0, run.code(), run.toString());
        assertTrue(run.out().contains("no gateways have reported (/zkgate/gateways does not exist)"), run.out());
    }

    @Test
    void listPrintsEachGatewayWithEveryFieldOfItsStatus() throws Exception {
        assertEquals(0, ctl("init").code());
        status("gw-a", "{\"address\":\"10.0.0.1:8080\",\"started\":\"2026-01-01T00:00:00Z\",\"routeVersion\":3}");
        status("gw-b", "not json at all");

        CtlRun run = ctl("gateways", "list");

        assertEquals(0, run.code(), run.toString());
        assertTrue(run.out().contains("route version in ZooKeeper: 0"), run.out());
        assertTrue(run.out().contains("gw-a  address=10.0.0.1:8080  started=2026-01-01T00:00:00Z  routeVersion=3"),
                run.out());
        assertTrue(run.out().contains("gw-b  (status is not JSON: not json at all)"), run.out());
    }

    private static void status(String id, String json) throws Exception {
        observer.create().withMode(CreateMode.EPHEMERAL).forPath(LAYOUT.gatewayPath(id),
                json.getBytes(StandardCharsets.UTF_8));
    }
}
