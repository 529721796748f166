package io.zkgate.agent;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The whole ZooKeeper service goes away for ten seconds and comes back on the same port with the same data. */
class ServerRestartTest {
    private TestingServer server;
    private CuratorFramework observer;
    private RegistryAgent agent;

    @AfterEach
    void tearDown() {
        Zk.closeQuietly(agent, observer, server);
    }

    @Test
    void instanceIsBackWithinTwoSecondsOfAServerRestartAfterTenSecondsDown() throws Exception {
        server = Zk.server();
        agent = RegistryAgent.builder().connectString(server.getConnectString())
                .sessionTimeout(Duration.ofSeconds(1)).connectionTimeout(Duration.ofSeconds(1))
                .service("orders").address("127.0.0.1").port(8081).shutdownHook(false).build().start();
        observer = Zk.observer(server.getConnectString());
        await().atMost(Duration.ofSeconds(10)).until(() -> Zk.registeredBy(observer, agent, 1));
        long sessionBefore = agent.sessionId();

        server.stop();
        Thread.sleep(10_000); // the outage itself, longer than the agent's session
        server.restart();
        long restartedAt = System.nanoTime();

        // Registered by the agent's new session, not merely the old session's node restored from the snapshot.
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(10))
                .until(() -> Zk.registeredBy(observer, agent, 1));
        long backMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restartedAt);
        assertTrue(backMs <= 2000, "back " + backMs + " ms after the restart");
        assertFalse(agent.sessionId() == sessionBefore, "the session expired during the outage");
        // The agent counts the re-creation when Curator tells it, which may be just after the observer sees the node.
        await().atMost(Duration.ofSeconds(5)).until(() -> agent.reRegistrations() >= 1);
    }
}
