package io.zkgate.gateway.support;

import static org.awaitility.Awaitility.await;

import io.zkgate.config.GatewaySettings;
import io.zkgate.gateway.Gateway;
import io.zkgate.gateway.routing.ServicePool;
import io.zkgate.gateway.tls.TlsProvider;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.TestingServer;

/**
 * A real ZooKeeper (curator-test), a gateway on free ports pointed at it, and an operator's own client. The system
 * property {@code zkgate.engine} runs every fixture's gateway on that engine (unless the test chose one), and
 * {@code zkgate.tlsProvider} its TLS listener on that provider.
 */
public final class GatewayFixture implements AutoCloseable {
    public final TestingServer zk;
    public final Gateway gateway;
    public final CuratorFramework operator;
    public final ZkWriter writer;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    public GatewayFixture(String... extraFlags) throws Exception {
        zk = new TestingServer(JarProcess.portForLater(), true); // tests stop and restart it while the gateway retries
        gateway = startGateway(zk.getConnectString(), extraFlags);
        operator = CuratorFrameworkFactory.newClient(zk.getConnectString(), new RetryOneTime(200));
        operator.start();
        writer = new ZkWriter(operator);
    }

    /** A fixture whose gateway has read ZooKeeper in full ({@link #awaitSynced()}). */
    public static GatewayFixture synced(String... extraFlags) throws Exception {
        GatewayFixture f = new GatewayFixture(extraFlags);
        try {
            f.awaitSynced();
            return f;
        } catch (RuntimeException | Error e) {
            f.close();
            throw e;
        }
    }

    /**
     * A gateway on free ports (admin on 127.0.0.1) against the ZooKeeper at {@code zkConnect}, on the suite's
     * engine and TLS provider unless {@code extraFlags} choose; for tests that bring their own ZooKeeper (stopped,
     * a cluster, a table written before start) or start a second gateway beside a fixture's.
     */
    public static Gateway startGateway(String zkConnect, String... extraFlags) throws Exception {
        List<String> flags = new ArrayList<>(List.of("--zk", zkConnect, "--port", "0",
                "--admin-port", "0", "--admin-host", "127.0.0.1", "--zk-session-timeout-ms", "10000"));
        String engine = System.getProperty("zkgate.engine");
        if (engine != null && !engine.isEmpty() && !List.of(extraFlags).contains("--engine")) {
            flags.addAll(List.of("--engine", engine)); // a whole suite run against one engine
        }
        if (!List.of(extraFlags).contains("--tls-provider")) {
            flags.addAll(tlsProviderFlags());
        }
        flags.addAll(List.of(extraFlags));
        return Gateway.start(GatewaySettings.of(flags.toArray(new String[0])));
    }

    /**
     * {@code --tls-provider P} when the system property {@code zkgate.tlsProvider} asks for a TLS provider for the
     * whole suite, else nothing; for tests that start a gateway without a fixture.
     */
    public static List<String> tlsProviderFlags() {
        String provider = System.getProperty("zkgate.tlsProvider");
        return provider == null || provider.isEmpty() ? List.of() : List.of("--tls-provider", provider);
    }

    /**
     * The TLS provider the suite's gateways serve with, as {@code /admin/status} names it: {@code zkgate.tlsProvider},
     * or for the default ({@code auto}) Conscrypt where its native library loads here, else the JDK's.
     */
    public static String tlsProvider() {
        String provider = System.getProperty("zkgate.tlsProvider");
        if (provider == null || provider.isEmpty() || provider.equals(GatewaySettings.Tls.AUTO)) {
            return TlsProvider.conscryptLoads() ? GatewaySettings.Tls.CONSCRYPT : GatewaySettings.Tls.JDK;
        }
        return provider;
    }

    /** Waits until the gateway has read ZooKeeper in full (its snapshot is synced); fails after 20 s. */
    public void awaitSynced() {
        await().atMost(Duration.ofSeconds(20)).until(() -> gateway.snapshots().current().synced());
    }

    /** Waits until {@code service} has {@code backends} routable backends in the gateway's snapshot; fails after 10 s. */
    public void awaitRoutable(String service, int backends) {
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            ServicePool pool = gateway.snapshots().current().services().get(service);
            return pool != null && pool.routable().length == backends;
        });
    }

    public int port() {
        return gateway.port();
    }

    public int adminPort() {
        return gateway.adminPort();
    }

    public <T extends AutoCloseable> T closeLater(T c) {
        closeables.add(c);
        return c;
    }

    @Override
    public void close() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
        gateway.close();
        operator.close();
        zk.close();
    }
}
