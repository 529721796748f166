package io.zkgate.agent;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.test.KillSession;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Session expiry and node deletion, each result read by a separate observer client. */
class SessionRecoveryTest {
    private static final long BACK_WITHIN_MS = 2000;

    private TestingServer server;
    private CuratorFramework agentClient;
    private CuratorFramework observer;
    private RegistryAgent agent;
    private final BlockingQueue<Long> reconnections = new LinkedBlockingQueue<>();

    @BeforeEach
    void setUp() throws Exception {
        server = Zk.server();
        observer = Zk.observer(server.getConnectString());
        agentClient = Zk.client(server.getConnectString());
        agentClient.getConnectionStateListenable().addListener((c, s) -> {
            if (s == ConnectionState.RECONNECTED) {
                reconnections.add(System.nanoTime());
            }
        });
        agent = RegistryAgent.builder().client(agentClient).service("orders").id("orders-1")
                .address("127.0.0.1").port(8081).weight(3).shutdownHook(false).build().start();
        await().atMost(Duration.ofSeconds(10)).until(() -> Zk.registeredBy(observer, agent, 3));
    }

    @AfterEach
    void tearDown() {
        Zk.closeQuietly(agent, agentClient, observer, server);
    }

    @Test
    void instanceIsBackWithinTwoSecondsOfEachOfFiveInjectedSessionExpiries() throws Exception {
        for (int round = 1; round <= 5; round++) {
            long before = agent.sessionId();
            reconnections.clear();
            KillSession.kill(agentClient.getZookeeperClient().getZooKeeper());
            assertBackWithinTwoSecondsOfReconnection(round, before);
        }
        // The old session's node was adopted, then re-created when the server expired that session.
        assertTrue(agent.reRegistrations() >= 5, "re-registrations: " + agent.reRegistrations());
    }

    @Test
    void instanceIsBackWithinTwoSecondsOfEachOfFiveSessionsClosedOnTheServer() throws Exception {
        for (int round = 1; round <= 5; round++) {
            ZooKeeper current = agentClient.getZookeeperClient().getZooKeeper();
            long before = current.getSessionId();
            reconnections.clear();
            // Another handle on the same session closes it: the server expires it and deletes its ephemeral nodes.
            CountDownLatch twinConnected = new CountDownLatch(1);
            ZooKeeper twin = new ZooKeeper(server.getConnectString(), 1000, e -> {
                if (e.getState() == Watcher.Event.KeeperState.SyncConnected) {
                    twinConnected.countDown();
                }
            }, before, current.getSessionPasswd());
            assertTrue(twinConnected.await(10, TimeUnit.SECONDS), "round " + round + ": twin connected");
            twin.close();
            assertBackWithinTwoSecondsOfReconnection(round, before);
        }
        assertTrue(agent.reRegistrations() >= 5, "re-registrations: " + agent.reRegistrations());
    }

    @Test
    void instanceDeletedByAnotherClientIsBackWithinTwoSeconds() throws Exception {
        long session = agent.sessionId();
        observer.delete().forPath(agent.path());
        long deletedAt = System.nanoTime();
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(10))
                .until(() -> Zk.registeredBy(observer, agent, 3));
        long backMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - deletedAt);
        assertTrue(backMs <= BACK_WITHIN_MS, "back after " + backMs + " ms");
        assertEquals(session, agent.sessionId(), "same session: the node was re-created, not the session");
        assertEquals(1, agent.reRegistrations());

        observer.delete().forPath(agent.path());
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(10))
                .until(() -> Zk.registeredBy(observer, agent, 3));
        assertEquals(2, agent.reRegistrations());
    }

    private void assertBackWithinTwoSecondsOfReconnection(int round, long oldSession) throws Exception {
        Long reconnectedAt = reconnections.poll(20, TimeUnit.SECONDS);
        assertNotNull(reconnectedAt, "round " + round + ": no reconnection");
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(10))
                .until(() -> Zk.registeredBy(observer, agent, 3));
        long backMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - reconnectedAt);
        assertNotEquals(oldSession, agent.sessionId(), "round " + round + ": a new session");
        assertTrue(backMs <= BACK_WITHIN_MS, "round " + round + ": back " + backMs + " ms after reconnection");
        Zk.assertRegisteredBy(observer, agent, 3);
    }
}
