package io.zkgate.gateway;

import com.codahale.metrics.Gauge;
import com.github.benmanes.caffeine.cache.Ticker;
import io.zkgate.config.GatewaySettings;
import io.zkgate.gateway.admin.InstanceMetadata;
import io.zkgate.gateway.control.ControlPlane;
import io.zkgate.gateway.control.OutlierSettings;
import io.zkgate.gateway.control.RouteDefaults;
import io.zkgate.gateway.demo.DemoBackends;
import io.zkgate.gateway.fleet.Fleet;
import io.zkgate.gateway.fleet.FleetSize;
import io.zkgate.gateway.health.ActiveHealthChecker;
import io.zkgate.gateway.limits.LimitGuards;
import io.zkgate.gateway.metrics.GatewayMetrics;
import io.zkgate.gateway.routing.SnapshotRef;
import io.zkgate.gateway.tls.FileReloads;
import io.zkgate.gateway.tls.TlsCertificates;
import io.zkgate.gateway.tls.TlsContext;
import io.zkgate.gateway.upstream.UpstreamTlsContexts;
import io.zkgate.schema.ZnodeLayout;
import java.io.Closeable;
import java.net.InetAddress;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.curator.framework.CuratorFramework;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running gateway: its {@link ZooKeeperConnection} (embedded ZooKeeper when no ensemble is configured, Curator
 * client), the control path, the {@link GatewayServer} (Jetty with the proxy, TLS and admin connectors), its fleet
 * node, and the demo backends when asked. {@link #close()} stops them in reverse: stop accepting and let in-flight
 * requests finish (bounded), then the demo, the fleet node and Curator, and the embedded ZooKeeper last. Thread-safe
 * for close.
 */
public final class Gateway implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(Gateway.class);
    /** The version from the jar manifest, or "dev" when run from classes. */
    public static final String VERSION = Gateway.class.getPackage().getImplementationVersion() == null
            ? "dev" : Gateway.class.getPackage().getImplementationVersion();

    private final GatewaySettings settings;
    private final ZnodeLayout layout;
    private final SnapshotRef snapshots = new SnapshotRef();
    private final GatewayMetrics metrics;
    private final ZooKeeperConnection zk;
    private Fleet fleet;
    /** Live gateways as the fleet view counts them; what fleet-scoped rate limits divide by. */
    private final FleetSize fleetSize = new FleetSize();
    private final AtomicBoolean closed = new AtomicBoolean();
    private ControlPlane control;
    private GatewayServer server;
    private TlsContext tls;
    /** Re-reads the TLS files (the listener's, routes' upstream.tls) every --tls-reload-interval-ms. */
    private FileReloads tlsReloads;
    private DemoBackends demo;
    private ActiveHealthChecker health;
    /** Set once everything started: a gateway that failed to start stops without "stopping" lines. */
    private volatile boolean started;

    private Gateway(GatewaySettings settings) {
        this.settings = settings;
        this.layout = new ZnodeLayout(settings.zkgateRoot(), settings.servicesRoot());
        this.metrics = new GatewayMetrics(settings.backendMetricsRetentionMs(), settings.durationSummaries());
        this.zk = new ZooKeeperConnection(settings);
    }

    /** Starts everything; on failure, stops what was started and rethrows. */
    public static Gateway start(GatewaySettings settings) throws Exception {
        Gateway g = new Gateway(settings);
        try {
            g.startAll();
            return g;
        } catch (Exception | Error e) {
            g.close();
            throw e;
        }
    }

    private void startAll() throws Exception {
        tlsReloads = new FileReloads(settings.tls().reloadIntervalMs());
        tlsReloads.every(UpstreamTlsContexts::reloadChanged);
        if (settings.tls().enabled()) { // first: a certificate that cannot be served stops the start at once
            try {
                tls = TlsContext.start(settings.tls(), metrics.registry(), tlsReloads);
            } catch (TlsCertificates.TlsException e) {
                throw new StartupException(e.getMessage());
            }
        }
        zk.start(layout, metrics);
        CuratorFramework curator = zk.curator();

        control = new ControlPlane(layout, snapshots,
                new RouteDefaults(settings.upstreamResponseTimeoutMs(), settings.upstreamRetries(),
                        settings.retryBudgetPercent(), settings.retryBudgetMinimum()),
                settings.emptyServiceGraceMs(), metrics, zk.status(), settings.scriptInstructionLimit(),
                new OutlierSettings(settings.outlierConsecutiveFailures(), settings.outlierBaseEjectionMs(),
                        settings.outlierMaxEjectionMs(), settings.outlierMaxEjectionPercent(),
                        settings.panicThresholdPercent()),
                new LimitGuards(metrics, fleetSize, settings.rateLimitMaxKeys(), Ticker.systemTicker()));

        server = new GatewayServer(settings, snapshots, metrics, tls);
        server.start(control, zk.status());

        String host = InetAddress.getLocalHost().getHostName();
        String gatewayId = settings.gatewayId().isEmpty()
                ? (host + "-" + port()).replaceAll("[^A-Za-z0-9._:-]", "-") : settings.gatewayId();
        fleet = new Fleet(layout, gatewayId, host + ":" + port(), settings.adminHost() + ":" + adminPort(), VERSION);
        fleet.refusals(() -> Fleet.refused(control.refusedRouteStates()));
        fleet.countInto(fleetSize);
        snapshots.onPublish(fleet::applied);
        health = new ActiveHealthChecker(control::healthChanged);
        snapshots.onPublish(health::onSnapshot);
        fleet.start(curator);
        server.admin().ready(control, fleet);
        server.admin().instanceMetadata(new InstanceMetadata(layout, control::instanceData));
        control.start(curator, settings.zkConnectionTimeoutMs());
        log.info("zkgate proxy listening on http://{}:{}{}, admin on http://{}:{}", settings.host(), port(),
                tls == null ? "" : " and https://" + settings.host() + ":" + tlsPort(), settings.adminHost(),
                adminPort());

        if (settings.demo()) {
            demo = DemoBackends.start(curator, layout, settings.embeddedZooKeeper());
            DemoBackends registered = demo;
            metrics.registry().gauge("zkgate_registry_reregistrations_total",
                    () -> (Gauge<Long>) registered::reRegistrations);
            log.info("demo ready: curl http://127.0.0.1:{}/demo/", port());
        }
        started = true;
    }

    public int port() {
        return server.port();
    }

    /** The TLS listener's port, or -1 without one. */
    public int tlsPort() {
        return server.tlsPort();
    }

    /** The TLS listener's certificates, or null without one. */
    public TlsContext tls() {
        return tls;
    }

    public int adminPort() {
        return server.adminPort();
    }

    public SnapshotRef snapshots() {
        return snapshots;
    }

    public ControlPlane control() {
        return control;
    }

    public GatewayMetrics metrics() {
        return metrics;
    }

    public CuratorFramework curator() {
        return zk.curator();
    }

    public ZnodeLayout layout() {
        return layout;
    }

    /** Blocks until the server stops. */
    public void join() throws InterruptedException {
        server.join();
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        // A gateway that failed to start stops without lines of its own: the caller reports the one failure.
        boolean loud = started;
        if (loud && settings.shutdownDelayMs() > 0) {
            server.admin().draining();
            log.info("zkgate draining: /ready answers 503, serving for {} ms before stopping", settings.shutdownDelayMs());
            try {
                Thread.sleep(settings.shutdownDelayMs());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (loud) {
            log.info("zkgate stopping: finishing in-flight requests (up to {} ms)", settings.shutdownTimeoutMs());
        }
        if (server != null) {
            server.stop();
        }
        if (tls != null) {
            tls.close();
        }
        if (tlsReloads != null) {
            tlsReloads.close();
        }
        if (demo != null) {
            demo.close();
        }
        if (health != null) {
            health.close();
        }
        if (control != null) {
            control.close();
        }
        zk.leave(() -> {
            if (fleet != null) {
                fleet.close();
            }
        }, loud);
        if (loud) {
            log.info("zkgate stopped");
        }
    }
}
