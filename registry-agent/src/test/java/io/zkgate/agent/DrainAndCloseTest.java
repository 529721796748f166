package io.zkgate.agent;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.imps.CuratorFrameworkState;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.server.auth.DigestAuthenticationProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** drain() and close(), the written format, ACLs and the small ServiceRegistration wrapper. */
class DrainAndCloseTest {
    private static final String DEMO_PATH = "/services/demo/demo-1";

    private TestingServer server;
    private CuratorFramework observer;
    private RegistryAgent agent;

    @BeforeEach
    void setUp() throws Exception {
        server = Zk.server();
        observer = Zk.observer(server.getConnectString());
    }

    @AfterEach
    void tearDown() {
        Zk.closeQuietly(agent, observer, server);
    }

    private RegistryAgent.Builder agentBuilder() {
        return RegistryAgent.builder().connectString(server.getConnectString()).service("orders")
                .address("127.0.0.1").port(8081).weight(5).shutdownHook(false);
    }

    @Test
    void drainWritesWeightZeroFirstAndUnregistersAfterTheDrainPeriod() throws Exception {
        long drainMs = 1500;
        agent = agentBuilder().drainPeriod(Duration.ofMillis(drainMs)).build().start();
        await().atMost(Duration.ofSeconds(10)).until(() -> Zk.registeredBy(observer, agent, 5));

        long start = System.nanoTime();
        CompletableFuture<Void> drained = CompletableFuture.runAsync(agent::drain);
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(10))
                .until(() -> Zk.registeredBy(observer, agent, 0));
        long zeroMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(zeroMs < drainMs, "weight 0 after " + zeroMs + " ms, before the drain period ends");
        assertEquals(RegistryAgent.State.DRAINING, agent.state());

        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(10))
                .until(() -> !Zk.exists(observer, agent.path()));
        long goneMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(goneMs >= drainMs, "removed after " + goneMs + " ms, not before the drain period");
        drained.get(10, TimeUnit.SECONDS);
        assertEquals(RegistryAgent.State.CLOSED, agent.state());
    }

    @Test
    void closeUnregistersAtOnce() throws Exception {
        agent = agentBuilder().drainPeriod(Duration.ofSeconds(30)).build().start();
        await().atMost(Duration.ofSeconds(10)).until(() -> Zk.registeredBy(observer, agent, 5));
        agent.close();
        assertFalse(Zk.exists(observer, agent.path()), "gone when close() returns");
        assertEquals(RegistryAgent.State.CLOSED, agent.state());
    }

    @Test
    void closeWithZooKeeperDownStopsWaitingForTheDeleteAfterTwoConnectionTimeouts() throws Exception {
        // Curator would retry the delete for four connection timeouts; the session takes the node anyway.
        agent = RegistryAgent.builder().connectString(server.getConnectString()).sessionTimeout(Duration.ofSeconds(60))
                .connectionTimeout(Duration.ofSeconds(1)).service("orders").address("127.0.0.1").port(8081)
                .shutdownHook(false).build().start();
        await().atMost(Duration.ofSeconds(10)).until(() -> Zk.registeredBy(observer, agent, 1));
        server.stop();
        try (AgentLog log = new AgentLog()) {
            agent.close();
            assertTrue(log.lines().stream().anyMatch(l -> l.endsWith("is taking long (ZooKeeper unreachable?); it goes "
                    + "with the session")), String.join("\n", log.lines()));
        }
        assertEquals(RegistryAgent.State.CLOSED, agent.state());
    }

    @Test
    void closeDuringDrainCutsTheWaitShort() throws Exception {
        agent = agentBuilder().drainPeriod(Duration.ofSeconds(60)).build().start();
        await().atMost(Duration.ofSeconds(10)).until(() -> Zk.registeredBy(observer, agent, 5));
        CompletableFuture<Void> drained = CompletableFuture.runAsync(agent::drain);
        await().atMost(Duration.ofSeconds(5)).until(() -> Zk.registeredBy(observer, agent, 0));
        agent.close();
        drained.get(10, TimeUnit.SECONDS);
        assertFalse(Zk.exists(observer, agent.path()));
    }

    @Test
    void closingAnAgentOnTheCallersClientLeavesTheClientOpen() throws Exception {
        CuratorFramework client = Zk.client(server.getConnectString());
        try {
            agent = RegistryAgent.builder().client(client).service("orders").port(8081).shutdownHook(false)
                    .build().start();
            assertTrue(agent.awaitRegistered(Duration.ofSeconds(10)));
            agent.close();
            assertFalse(Zk.exists(observer, agent.path()));
            assertEquals(CuratorFrameworkState.STARTED, client.getState());
        } finally {
            client.close();
        }
    }

    @Test
    void writesCuratorDiscoveryJsonWithASpringPayloadAndTheGivenMetadata() throws Exception {
        agent = agentBuilder().servicesRoot("/svc").id("orders-7").metadata("zone", "a")
                .metadata(Map.of("version", "2")).build().start();
        assertEquals("/svc/orders/orders-7", agent.path());
        await().atMost(Duration.ofSeconds(10)).until(() -> Zk.registeredBy(observer, agent, 5));
        Zk.Seen seen = Zk.read(observer, agent.path());
        assertEquals(Map.of("zone", "a", "version", "2"), Zk.metadataWithoutWeight(seen));
        assertEquals(5, seen.instance().weight());
        assertTrue(seen.stat().getEphemeralOwner() != 0, "ephemeral");
        String json = new String(observer.getData().forPath(agent.path()), StandardCharsets.UTF_8);
        assertTrue(json.contains("\"@class\":\"org.springframework.cloud.zookeeper.discovery.ZookeeperInstance\""),
                json);
        assertTrue(json.contains("\"weight\":\"5\""), json);
        assertTrue(json.contains("\"serviceType\":\"DYNAMIC\""), json);
        // curator-x-discovery reads it back through the same serializer
        assertEquals(5, new InstanceJsonSerializer().deserialize(json.getBytes(StandardCharsets.UTF_8))
                .getPayload().weight());
    }

    @Test
    void eachAgentKeepsTheDefaultIdGeneratedForIt() {
        agent = RegistryAgent.builder().connectString(server.getConnectString()).service("orders").port(8081)
                .shutdownHook(false).build();
        String id = agent.id();
        assertNotNull(id);
        assertEquals(id, agent.id());
        try (RegistryAgent other = RegistryAgent.builder().connectString(server.getConnectString())
                .service("orders").port(8081).shutdownHook(false).build()) {
            assertNotEquals(id, other.id());
        }
    }

    @Test
    void theDefaultAddressIsNotLoopbackWhenTheHostHasOne() throws Exception {
        agent = RegistryAgent.builder().connectString(server.getConnectString()).service("orders").port(8081)
                .shutdownHook(false).build();
        boolean hasNonLoopback = java.net.NetworkInterface.networkInterfaces().anyMatch(n -> {
            try {
                return n.isUp() && !n.isLoopback()
                        && n.inetAddresses().anyMatch(a -> !a.isLinkLocalAddress() && !a.isLoopbackAddress());
            } catch (java.net.SocketException e) {
                return false;
            }
        });
        assumeTrue(hasNonLoopback, "this host has a non-loopback address");
        assertFalse(java.net.InetAddress.getByName(agent.address()).isLoopbackAddress(), agent.address());
    }

    @Test
    void badBuilderValuesAreRejectedWithTheirNames() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RegistryAgent.builder()
                .connectString("127.0.0.1:1").service("a/b").port(0).weight(-1).metadata("weight", "2")
                .healthFailures(0).build());
        for (String name : new String[] {"service", "port", "weight", "metadata", "healthFailures"}) {
            assertTrue(e.getMessage().contains(name + ":"), e.getMessage());
        }
    }

    @Test
    void withDigestAuthOnlyTheAgentsUserMayChangeOrDeleteItsNode() throws Exception {
        agent = securedAgent("orders-1", 8081);
        await().atMost(Duration.ofSeconds(10)).until(() -> Zk.registeredBy(observer, agent, 1));
        assertThrows(KeeperException.NoAuthException.class, () -> observer.delete().forPath(agent.path()));
        assertThrows(KeeperException.NoAuthException.class,
                () -> observer.setData().forPath(agent.path(), new byte[0]));
    }

    @Test
    void withDigestAuthTheServiceNodeTakesInstancesOfTheSameUserOnly() throws Exception {
        agent = securedAgent("orders-1", 8081);
        assertTrue(agent.awaitRegistered(Duration.ofSeconds(10)));
        try (RegistryAgent second = securedAgent("orders-2", 8082)) {
            assertTrue(second.awaitRegistered(Duration.ofSeconds(10)));
            assertTrue(Zk.exists(observer, "/secure/orders/orders-2"));
        }
        try (CuratorFramework anonymous = CuratorFrameworkFactory.newClient(server.getConnectString(),
                new RetryOneTime(100))) {
            anonymous.start();
            assertThrows(KeeperException.NoAuthException.class,
                    () -> anonymous.create().forPath("/secure/orders/intruder", new byte[0]));
        }
    }

    /** An agent of service orders under /secure, which only the digest user agent:s3cret may write. */
    private RegistryAgent securedAgent(String id, int port) throws Exception {
        if (observer.checkExists().forPath("/secure") == null) {
            String digest = DigestAuthenticationProvider.generateDigest("agent:s3cret");
            ACL agentAll = new ACL(ZooDefs.Perms.ALL, new Id("digest", digest));
            ACL worldRead = new ACL(ZooDefs.Perms.READ, ZooDefs.Ids.ANYONE_ID_UNSAFE);
            observer.create().withACL(java.util.List.of(agentAll, worldRead)).forPath("/secure");
        }
        return RegistryAgent.builder().connectString(server.getConnectString()).servicesRoot("/secure")
                .service("orders").id(id).address("127.0.0.1").port(port).zkAuth("agent:s3cret").shutdownHook(false)
                .build().start();
    }

    @Test
    void aServiceRegistrationIsWrittenWhenRegisterReturns() throws Exception {
        try (CuratorFramework client = Zk.client(server.getConnectString());
                ServiceRegistration registration = demoRegistration(client)) {
            Zk.Seen seen = Zk.read(observer, DEMO_PATH);
            assertNotNull(seen, "written when register returns");
            assertEquals(2, seen.instance().weight());
            assertEquals("a", seen.instance().metadata().get("zone"));
        }
    }

    @Test
    void aServiceRegistrationRecreatesItsNodeAfterAnotherClientDeletesIt() throws Exception {
        try (CuratorFramework client = Zk.client(server.getConnectString());
                ServiceRegistration registration = demoRegistration(client)) {
            observer.delete().forPath(DEMO_PATH);
            await().atMost(Duration.ofSeconds(2)).until(() -> Zk.exists(observer, DEMO_PATH));
            assertEquals(1, registration.reRegistrations());
        }
    }

    @Test
    void closingAServiceRegistrationDeletesItsNode() throws Exception {
        try (CuratorFramework client = Zk.client(server.getConnectString())) {
            demoRegistration(client).close();
            assertFalse(Zk.exists(observer, DEMO_PATH));
        }
    }

    private static ServiceRegistration demoRegistration(CuratorFramework client) throws Exception {
        return ServiceRegistration.register(client, "/services", "demo", "demo-1", "127.0.0.1", 9001, 2,
                Map.of("zone", "a"));
    }
}
