package io.zkgate.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.schema.ServiceInstance;
import io.zkgate.schema.ServiceInstanceCodec;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;

/** ZooKeeper servers and observer clients for the tests. Stateless. */
final class Zk {
    /** Server tick; sessions may be as short as one tick and expire at tick granularity. */
    static final int TICK_MS = 100;

    private Zk() {}

    /**
     * A server whose sessions can be short, so an old session's node goes quickly; on a {@link #portForLater} port, as
     * tests stop and restart it while clients retry.
     */
    static TestingServer server() throws Exception {
        return server(portForLater());
    }

    static TestingServer server(int port) throws Exception {
        return new TestingServer(new InstanceSpec(null, port, -1, -1, true, -1, TICK_MS, -1), true);
    }

    /**
     * A port for a server started after its clients were told of it. It lies below the kernel's ephemeral ports
     * (32768 and up by default): a port from port 0 can meanwhile become an outgoing connection's source port, and
     * then ZooKeeper's test server cannot bind it and exits the JVM.
     */
    static int portForLater() throws IOException {
        for (int attempt = 1; ; attempt++) {
            int port = 20_000 + ThreadLocalRandom.current().nextInt(12_000);
            try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                return port;
            } catch (IOException busy) {
                if (attempt == 100) {
                    throw busy;
                }
            }
        }
    }

    /** A separate client that only looks, as a gateway would. */
    static CuratorFramework observer(String connectString) throws InterruptedException {
        CuratorFramework c = CuratorFrameworkFactory.newClient(connectString, 10_000, 5_000, new RetryOneTime(100));
        c.start();
        assertTrue(c.blockUntilConnected(20, TimeUnit.SECONDS), "observer connected to " + connectString);
        return c;
    }

    /** A client for an agent built on an existing client, with a one-second session. */
    static CuratorFramework client(String connectString) throws InterruptedException {
        CuratorFramework c = CuratorFrameworkFactory.newClient(connectString, 1_000, 5_000, new RetryOneTime(100));
        c.start();
        assertTrue(c.blockUntilConnected(20, TimeUnit.SECONDS), "client connected to " + connectString);
        return c;
    }

    /** What an observer reads at {@code path}: the instance and its node's stat, or null when there is no node. */
    record Seen(ServiceInstance instance, Stat stat) {}

    static Seen read(CuratorFramework observer, String path) throws Exception {
        Stat stat = new Stat();
        try {
            byte[] data = observer.getData().storingStatIn(stat).forPath(path);
            return new Seen(ServiceInstanceCodec.parse(path, null, null, data), stat);
        } catch (KeeperException.NoNodeException e) {
            return null;
        }
    }

    /** Fails unless the observer sees the agent's instance, written by the agent's current session. */
    static void assertRegisteredBy(CuratorFramework observer, RegistryAgent agent, int weight) throws Exception {
        Seen seen = read(observer, agent.path());
        assertNotNull(seen, agent.path() + " missing");
        long session = agent.sessionId();
        assertTrue(session != 0, "agent not connected");
        assertEquals(Long.toHexString(session), Long.toHexString(seen.stat().getEphemeralOwner()),
                "node owned by the agent's current session");
        assertEquals(agent.id(), seen.instance().id());
        assertEquals(agent.service(), seen.instance().name());
        assertEquals(agent.address(), seen.instance().address());
        assertEquals(agent.port(), seen.instance().port());
        assertEquals(weight, seen.instance().weight());
    }

    /** The instance's metadata apart from the weight, which {@link ServiceInstance#weight()} carries. */
    static Map<String, String> metadataWithoutWeight(Seen seen) {
        Map<String, String> metadata = new HashMap<>(seen.instance().metadata());
        metadata.remove("weight");
        return metadata;
    }

    static boolean registeredBy(CuratorFramework observer, RegistryAgent agent, int weight) {
        try {
            assertRegisteredBy(observer, agent, weight);
            return true;
        } catch (Exception | AssertionError e) {
            return false;
        }
    }

    static boolean exists(CuratorFramework observer, String path) {
        try {
            return observer.checkExists().forPath(path) != null;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static void closeQuietly(AutoCloseable... closeables) {
        for (AutoCloseable c : closeables) {
            if (c == null) {
                continue;
            }
            try {
                c.close();
            } catch (IOException e) {
                // test teardown
            } catch (Exception e) {
                // test teardown
            }
        }
    }
}
