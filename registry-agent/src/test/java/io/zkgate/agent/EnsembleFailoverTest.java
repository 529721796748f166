package io.zkgate.agent;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingCluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A three-server ensemble loses the server the agent is connected to. */
class EnsembleFailoverTest {
    private TestingCluster cluster;
    private CuratorFramework observer;
    private RegistryAgent agent;

    @AfterEach
    void tearDown() {
        Zk.closeQuietly(agent, observer, cluster);
    }

    @Test
    void instanceStaysRegisteredOrIsBackWithinTwoSecondsWhenItsServerIsKilled() throws Exception {
        List<InstanceSpec> specs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            specs.add(new InstanceSpec(null, -1, -1, -1, true, -1, 200, -1));
        }
        cluster = new TestingCluster(specs);
        cluster.start();
        agent = RegistryAgent.builder().connectString(cluster.getConnectString())
                .sessionTimeout(Duration.ofSeconds(4)).connectionTimeout(Duration.ofSeconds(2))
                .service("orders").address("127.0.0.1").port(8081).shutdownHook(false).build().start();
        await().atMost(Duration.ofSeconds(30)).until(() -> agent.awaitRegistered(Duration.ofSeconds(1)));

        InstanceSpec connected = cluster.findConnectionInstance(agent.client().getZookeeperClient().getZooKeeper());
        assertNotNull(connected, "the agent's server");
        String others = cluster.getInstances().stream().filter(s -> !s.equals(connected))
                .map(InstanceSpec::getConnectString).collect(Collectors.joining(","));
        observer = Zk.observer(others);
        await().atMost(Duration.ofSeconds(10)).until(() -> Zk.registeredBy(observer, agent, 1));

        // Sample what a gateway would see, from before the kill until well after.
        List<long[]> samples = new ArrayList<>(); // {nanoTime, 1 present / 0 absent}
        long killAt = 0;
        long end = System.nanoTime() + Duration.ofSeconds(8).toNanos();
        boolean killed = false;
        while (System.nanoTime() < end) {
            if (!killed && samples.size() >= 10) {
                assertTrue(cluster.killServer(connected), "killed " + connected);
                killAt = System.nanoTime();
                killed = true;
            }
            try {
                samples.add(new long[] {System.nanoTime(), Zk.exists(observer, agent.path()) ? 1 : 0});
            } catch (IllegalStateException e) {
                // no answer while the ensemble elects a leader: neither present nor absent
            }
            Thread.sleep(20);
        }

        long longestAbsentMs = 0;
        Long absentSince = null;
        for (long[] s : samples) {
            if (s[1] == 0 && absentSince == null) {
                absentSince = s[0];
            } else if (s[1] == 1 && absentSince != null) {
                longestAbsentMs = Math.max(longestAbsentMs, (s[0] - absentSince) / 1_000_000);
                absentSince = null;
            }
        }
        assertTrue(absentSince == null, "absent at the end of sampling");
        assertTrue(longestAbsentMs <= 2000, "absent for " + longestAbsentMs + " ms");
        assertTrue(samples.get(samples.size() - 1)[0] - killAt > Duration.ofSeconds(5).toNanos(), "sampled long");
        await().atMost(Duration.ofSeconds(10)).until(() -> Zk.registeredBy(observer, agent, 1));
    }
}
