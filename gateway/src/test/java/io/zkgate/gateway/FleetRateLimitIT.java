package io.zkgate.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.zkgate.gateway.support.Http;
import io.zkgate.gateway.support.JarProcess;
import io.zkgate.gateway.support.PacedLoad;
import io.zkgate.gateway.support.TestBackend;
import io.zkgate.gateway.support.ZkWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fleet-scoped rate limit across three gateway processes on one ZooKeeper, load spread evenly: the fleet lets
 * through its limit in all; a gateway killed with SIGKILL leaves the other two at half each once its session has
 * expired; when it comes back, each is at a third again.
 *
 * <p>It runs three gateway processes for about a minute, so it runs only when asked, with the fleet-scale tests:
 * {@code mvn -B -pl gateway -am verify -Dzkgate.scale=true -Dit.test=FleetRateLimitIT -Dtest=none
 * -Dsurefire.failIfNoSpecifiedTests=false -Dfailsafe.failIfNoSpecifiedTests=false}.
 */
@EnabledIfSystemProperty(named = "zkgate.scale", matches = "true")
class FleetRateLimitIT {
    private static final Path JAR = Path.of("target", "zkgate-gateway.jar");
    private static final int SESSION_TIMEOUT_MS = 3000;
    private static final double FLEET_RATE = 300;
    private static final int FLEET_BURST = 90; // 300 ms of each share: a client stall shorter than that wastes no token
    private static final double OFFERED_PER_GATEWAY = 200;

    @TempDir
    Path dir;

    /** One gateway process and its ports. */
    private record Member(String id, JarProcess process, int port, int admin) {}

    private Member start(String zk, String id) throws Exception {
        int port = JarProcess.freePort();
        int admin = JarProcess.freePort();
        JarProcess p = JarProcess.start(JAR, dir.resolve(id + "-" + port + ".log"), Map.of(), "--zk", zk,
                "--port", Integer.toString(port), "--admin-port", Integer.toString(admin), "--gateway-id", id,
                "--zk-session-timeout-ms", Integer.toString(SESSION_TIMEOUT_MS));
        return new Member(id, p, port, admin);
    }

    private static int gatewaysSeen(Member m) {
        try {
            for (JsonNode r : Http.json(m.admin(), "/admin/routes").get("routes")) {
                if (r.get("id").asText().equals("fleet") && r.has("limits")) {
                    return r.get("limits").get("rateLimits").get(0).get("gateways").asInt();
                }
            }
        } catch (RuntimeException | AssertionError e) {
            return -1; // not up yet
        }
        return -1;
    }

    private static void awaitSeen(List<Member> members, int gateways, Duration within) {
        try {
            await().atMost(within).pollInterval(Duration.ofMillis(100)).until(() ->
                    members.stream().allMatch(m -> gatewaysSeen(m) == gateways));
        } catch (ConditionTimeoutException e) {
            StringBuilder seen = new StringBuilder("not all gateways saw " + gateways + " within " + within);
            for (Member m : members) {
                String out = m.process().output();
                seen.append("\n").append(m.id()).append(": sees ").append(gatewaysSeen(m)).append(", alive ")
                        .append(m.process().isAlive()).append(", output ends:\n")
                        .append(out.substring(Math.max(0, out.length() - 3000)));
            }
            throw new AssertionError(seen.toString(), e);
        }
    }

    /**
     * Offers load to every member at once for {@code seconds}; the 200s each let through. Checks first that the load
     * was offered: every slot sent and answered, 200 or 429, else the counts say nothing about the limit.
     */
    private static List<Integer> offer(List<Member> members, int seconds) throws InterruptedException {
        return offer(members, seconds, true);
    }

    private static List<Integer> offer(List<Member> members, int seconds, boolean check) throws InterruptedException {
        List<PacedLoad> loads = new ArrayList<>();
        for (Member m : members) {
            loads.add(PacedLoad.start(m.port(), "/fleet/x", OFFERED_PER_GATEWAY, Duration.ofSeconds(seconds)));
        }
        List<Integer> ok = new ArrayList<>();
        for (PacedLoad l : loads) {
            l.await();
            long slots = Math.round(OFFERED_PER_GATEWAY * seconds);
            assertTrue(!check || l.count(200) + l.count(429) >= slots * 0.95, "load not offered as planned: " + l);
            ok.add(l.count(200));
        }
        return ok;
    }

    private static void assertWithinTenPercent(double expected, double actual, String what) {
        assertTrue(Math.abs(actual - expected) <= expected * 0.10, what + ": " + actual + " (expected " + expected
                + " ± 10%)");
    }

    @Test
    void aFleetLimitIsSharedByTheLiveGatewaysAndRedividedWhenOneDiesAndReturns() throws Exception {
        InstanceSpec spec = new InstanceSpec(null, -1, -1, -1, true, -1, 500, -1); // 500 ms ticks: short sessions work
        List<Member> members = new ArrayList<>();
        try (TestingServer zk = new TestingServer(spec, true);
                TestBackend backend = TestBackend.start("b");
                CuratorFramework operator = CuratorFrameworkFactory.newClient(zk.getConnectString(),
                        new RetryOneTime(100))) {
            operator.start();
            ZkWriter writer = new ZkWriter(operator);
            writer.register("svc", "1", backend.port(), 1);
            writer.putRoute("fleet", "{\"id\":\"fleet\",\"match\":{\"pathPrefix\":\"/fleet\"},\"service\":\"svc\","
                    + "\"rateLimit\":{\"requestsPerSecond\":" + (int) FLEET_RATE + ",\"burst\":" + FLEET_BURST
                    + ",\"key\":\"route\",\"scope\":\"fleet\"}}");
            for (String id : List.of("g1", "g2", "g3")) {
                members.add(start(zk.getConnectString(), id));
            }
            awaitSeen(members, 3, Duration.ofSeconds(90));
            offer(members, 5, false); // warm-up: fresh JVMs answer slowly until their code is compiled

            List<Integer> ok = offer(members, 20);
            int sum = ok.stream().mapToInt(Integer::intValue).sum();
            System.out.printf("three gateways, 20 s: 200s %s, sum %d (%.1f/s)%n", ok, sum, sum / 20.0);
            assertWithinTenPercent(FLEET_RATE * 20 + FLEET_BURST, sum, "200s of the fleet over 20 s " + ok);

            Member killed = members.remove(2);
            killed.process().close(); // SIGKILL: no goodbye, the session has to expire
            long killedAt = System.nanoTime();
            awaitSeen(members, 2, Duration.ofMillis(SESSION_TIMEOUT_MS + 2000 + 5000));
            long seenMs = (System.nanoTime() - killedAt) / 1_000_000;
            assertTrue(seenMs <= SESSION_TIMEOUT_MS + 2000, "the two saw the death after " + seenMs + " ms");
            ok = offer(members, 5);
            System.out.printf("one killed: seen by both after %d ms; two gateways, 5 s: 200s %s%n", seenMs, ok);
            for (int n : ok) {
                assertWithinTenPercent(FLEET_RATE / 2 * 5 + FLEET_BURST / 2, n, "200s of one of two over 5 s " + ok);
            }

            members.add(start(zk.getConnectString(), "g3"));
            awaitSeen(members, 3, Duration.ofSeconds(60));
            ok = offer(members, 5);
            System.out.printf("back: three gateways, 5 s: 200s %s%n", ok);
            for (int n : ok) {
                assertWithinTenPercent(FLEET_RATE / 3 * 5 + FLEET_BURST / 3, n, "200s of one of three over 5 s " + ok);
            }
        } finally {
            for (Member m : members) {
                m.process().close();
            }
        }
    }
}
