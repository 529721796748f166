package io.zkgate.schema.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
    void listPrintsEachGatewayWithEveryFieldOfItsStatusAndWhetherItServesTheLastApply() throws Exception {
        assertEquals(0, ctl("init").code());
        write(dir, "a.yaml", route("a", "/a", "a"));
        CtlRun apply = ctl("routes", "apply", dir.toString());
        Matcher m = Pattern.compile("route version 0 -> 1, zxid (\\d+)").matcher(apply.out());
        assertTrue(m.find(), apply.out());
        long zxid = Long.parseLong(m.group(1));
        status("gw-a", "{\"id\":\"gw-a\",\"address\":\"10.0.0.1:8080\",\"started\":\"2026-01-01T00:00:00Z\","
                + "\"appliedRouteZxid\":" + zxid + "}");
        status("gw-b", "{\"id\":\"gw-b\",\"address\":\"10.0.0.2:8080\",\"appliedRouteZxid\":" + (zxid - 1) + "}");
        status("gw-c", "not json at all");

        CtlRun run = ctl("gateways", "list");

        assertEquals(0, run.code(), run.toString());
        assertTrue(run.out().contains("route version in ZooKeeper: 1, newest route change: zxid " + zxid), run.out());
        assertTrue(run.out().contains("gw-a  current  address=10.0.0.1:8080  started=2026-01-01T00:00:00Z  "
                + "appliedRouteZxid=" + zxid), run.out());
        assertTrue(run.out().contains("gw-b  behind  address=10.0.0.2:8080  appliedRouteZxid=" + (zxid - 1)),
                run.out());
        assertTrue(run.out().contains("gw-c  -  (status is not JSON: not json at all)"), run.out());
    }

    @Test
    void aDeletedRouteMovesTheNewestRouteChange() throws Exception {
        assertEquals(0, ctl("init").code());
        write(dir, "a.yaml", route("a", "/a", "a"));
        assertEquals(0, ctl("routes", "apply", dir.toString()).code());
        assertEquals(0, ctl("routes", "delete", "a").code());
        long pzxid = observer.checkExists().forPath(LAYOUT.routesPath()).getPzxid();

        CtlRun run = ctl("gateways", "list");

        assertTrue(run.out().contains("newest route change: zxid " + pzxid), run.out());
    }

    @Test
    void aGatewayThatRefusedTheNewestEditIsShownRefusedWithTheRouteAndReasonNotBehind() throws Exception {
        assertEquals(0, ctl("init").code());
        write(dir, "a.yaml", route("a", "/a", "a"));
        write(dir, "b.yaml", route("b", "/b", "b"));
        CtlRun apply = ctl("routes", "apply", dir.toString());
        Matcher m = Pattern.compile("zxid (\\d+)").matcher(apply.out());
        assertTrue(m.find(), apply.out());
        long applied = Long.parseLong(m.group(1));
        // A hand edit the gateways refuse, as zkCli.sh would write it.
        String bad = "{\"match\":{\"pathPrefix\":\"/a\"},\"service\":\"a\",\"lb\":{\"policy\":\"fastest\"}}";
        observer.setData().forPath(LAYOUT.routePath("a"), bad.getBytes(StandardCharsets.UTF_8));
        String reason = "lb.policy: unknown policy 'fastest'";
        status("gw-refused", "{\"appliedRouteZxid\":" + applied + ",\"refusedRoutes\":{\"a\":\"" + reason + "\"}}");
        status("gw-lagging", "{\"appliedRouteZxid\":" + applied + ",\"refusedRoutes\":{}}");
        status("gw-refused-other", "{\"appliedRouteZxid\":" + applied + ",\"refusedRoutes\":{\"b\":\"x\"}}");

        CtlRun run = ctl("gateways", "list");

        assertEquals(0, run.code(), run.toString());
        assertTrue(run.out().contains("gw-refused  refused (route a: " + reason + ")  appliedRouteZxid="), run.out());
        assertTrue(run.out().contains("gw-lagging  behind  appliedRouteZxid=" + applied + "\n"), run.out());
        assertTrue(run.out().contains("gw-refused-other  behind  "), run.out());
    }

    private static void status(String id, String json) throws Exception {
        observer.create().withMode(CreateMode.EPHEMERAL).forPath(LAYOUT.gatewayPath(id),
                json.getBytes(StandardCharsets.UTF_8));
    }
}
