package io.zkgate.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.client.ZKClientConfig;
import org.apache.zookeeper.common.ClientX509Util;
import org.junit.jupiter.api.Test;

/**
 * The ZooKeeper client configuration without ZooKeeper's idle TLS set-up: a real session on a real server loads none
 * of the JDK's TLS stack (ZooKeeper's own configuration does, which is what the test compares against), every
 * property reads as in ZooKeeper's own, and a JVM with a ZooKeeper TLS property gets ZooKeeper's own.
 */
class ZkClientConfigsTest {
    private static final String TLS_CLASS = "sun.security.ssl.SSLContextImpl";

    @Test
    void aSessionWithoutZooKeeperTlsLoadsNoTlsClasses() throws Exception {
        try (TestingServer zk = new TestingServer()) {
            String ours = classesLoadedBySession(zk.getConnectString(), "ours");
            assertTrue(ours.contains("SyncConnected"), ours);
            assertFalse(ours.contains(TLS_CLASS), "no TLS stack loaded for a plain session");
            String zookeepers = classesLoadedBySession(zk.getConnectString(), "zookeeper");
            assertTrue(zookeepers.contains("SyncConnected"), zookeepers);
            assertTrue(zookeepers.contains(TLS_CLASS), "ZooKeeper's own configuration loads it (the test can see it)");
        }
    }

    @Test
    void everyPropertyReadsAsInZooKeepersOwnConfiguration() {
        Map<String, String> set = Map.of("jute.maxbuffer", "4194304", "zookeeper.sasl.client", "false",
                "zookeeper.request.timeout", "5000", "zookeeper.clientCnxnSocket",
                "org.apache.zookeeper.ClientCnxnSocketNIO");
        set.forEach(System::setProperty);
        try {
            ZKClientConfig ours = ZkClientConfigs.fromSystemProperties();
            ZKClientConfig zookeepers = new ZKClientConfig();
            List<String> names = new ArrayList<>(set.keySet());
            names.addAll(List.of("zookeeper.kinit", "zookeeper.sasl.clientconfig", "zookeeper.server.realm",
                    "zookeeper.disableAutoWatchReset", "zookeeper.client.secure", "zookeeper.server.principal"));
            try (ClientX509Util tls = new ClientX509Util()) {
                names.addAll(List.of(tls.getSslKeystoreLocationProperty(), tls.getSslTruststoreLocationProperty(),
                        tls.getSslAuthProviderProperty(), tls.getSslProviderProperty()));
            }
            for (String name : names) {
                assertEquals(zookeepers.getProperty(name), ours.getProperty(name), name);
            }
            assertEquals("4194304", ours.getProperty("jute.maxbuffer"));
            assertFalse(ours.isSaslClientEnabled());
        } finally {
            set.keySet().forEach(System::clearProperty);
        }
    }

    @Test
    void aZooKeeperTlsPropertyGetsZooKeepersOwnConfiguration() {
        assertFalse(ZkClientConfigs.tlsAsked());
        System.setProperty("zookeeper.ssl.trustStore.location", "/etc/zk/trust.jks");
        try {
            assertTrue(ZkClientConfigs.tlsAsked());
            ZKClientConfig config = ZkClientConfigs.fromSystemProperties();
            assertSame(ZKClientConfig.class, config.getClass());
            assertEquals("/etc/zk/trust.jks", config.getProperty("zookeeper.ssl.trustStore.location"));
        } finally {
            System.clearProperty("zookeeper.ssl.trustStore.location");
        }
        System.setProperty("zookeeper.client.secure", "false");
        try {
            assertTrue(ZkClientConfigs.tlsAsked(), "any value: ZooKeeper's configuration decides what it means");
        } finally {
            System.clearProperty("zookeeper.client.secure");
        }
    }

    /** Runs {@link Session} in a JVM of its own, which logs each class it loads; returns its output. */
    private static String classesLoadedBySession(String connect, String config) throws Exception {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xlog:class+load=info:stdout", "-cp", System.getProperty("java.class.path"),
                Session.class.getName(), connect, config).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the session's JVM ended");
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    /** Opens one ZooKeeper session with the configuration named, reads the root, and prints the state reached. */
    static final class Session {
        public static void main(String[] args) throws Exception {
            ZKClientConfig config = "ours".equals(args[1]) ? ZkClientConfigs.fromSystemProperties()
                    : new ZKClientConfig();
            CountDownLatch connected = new CountDownLatch(1);
            ZooKeeper zk = new ZooKeeper(args[0], 30_000, e -> {
                if (e.getState() == Watcher.Event.KeeperState.SyncConnected) {
                    connected.countDown();
                }
            }, config);
            try {
                if (!connected.await(30, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("not connected in 30 s");
                }
                zk.getChildren("/", false);
                System.out.println("session state: SyncConnected");
            } finally {
                zk.close();
            }
        }
    }
}
