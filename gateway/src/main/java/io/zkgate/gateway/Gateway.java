package io.zkgate.gateway;

import com.codahale.metrics.Gauge;
import com.github.benmanes.caffeine.cache.Ticker;
import io.zkgate.config.GatewaySettings;
import io.zkgate.gateway.admin.AdminHandler;
import io.zkgate.gateway.admin.InstanceMetadata;
import io.zkgate.gateway.control.ControlPlane;
import io.zkgate.gateway.control.OutlierSettings;
import io.zkgate.gateway.control.RouteDefaults;
import io.zkgate.gateway.control.ZooKeeperStatus;
import io.zkgate.gateway.fleet.Fleet;
import io.zkgate.gateway.fleet.FleetSize;
import io.zkgate.gateway.limits.LimitGuards;
import io.zkgate.gateway.health.ActiveHealthChecker;
import io.zkgate.gateway.loop.H2cPriorKnowledge;
import io.zkgate.gateway.loop.LoopAlpnConnectionFactory;
import io.zkgate.gateway.loop.LoopConnector;
import io.zkgate.gateway.loop.LoopEngine;
import io.zkgate.gateway.loop.LoopSslConnectionFactory;
import io.zkgate.gateway.mirror.Mirror;
import io.zkgate.gateway.metrics.GatewayMetrics;
import io.zkgate.gateway.proxy.AccessLog;
import io.zkgate.gateway.proxy.CanonicalPathHandler;
import io.zkgate.gateway.proxy.PriorKnowledgeH2c;
import io.zkgate.gateway.proxy.RouteCompression;
import io.zkgate.gateway.proxy.JsonErrorHandler;
import io.zkgate.gateway.demo.DemoBackends;
import io.zkgate.gateway.proxy.GatewayProxyServlet;
import io.zkgate.gateway.proxy.WebSocketTunnel;
import io.zkgate.gateway.routing.HttpsRedirect;
import io.zkgate.gateway.routing.RequestRouter;
import io.zkgate.gateway.routing.TrustedProxies;
import io.zkgate.gateway.routing.SnapshotRef;
import io.zkgate.gateway.tls.TlsCertificates;
import io.zkgate.gateway.tracing.SpanExport;
import io.zkgate.gateway.tls.TlsContext;
import io.zkgate.gateway.zk.EmbeddedZooKeeper;
import io.zkgate.gateway.zk.ZkConnectionLog;
import io.zkgate.gateway.zk.ZkRoots;
import io.zkgate.schema.BoundedStep;
import io.zkgate.schema.ZkAuth;
import io.zkgate.schema.ZnodeLayout;
import java.io.Closeable;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.eclipse.jetty.alpn.server.ALPNServerConnectionFactory;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.http2.server.HTTP2ServerConnectionFactory;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.DetectorConnectionFactory;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.RequestLog;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ContextHandler;
import org.eclipse.jetty.server.handler.ContextHandlerCollection;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running gateway: embedded ZooKeeper (when no ensemble is configured), Curator client, control path, Jetty
 * with the proxy and admin connectors, and the demo backends when asked. {@link #close()} stops them in reverse:
 * stop accepting and let in-flight requests finish (bounded), then the demo, Curator, and the embedded ZooKeeper
 * last. Thread-safe for close.
 */
public final class Gateway implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(Gateway.class);
    /** The version from the jar manifest, or "dev" when run from classes. */
    public static final String VERSION = Gateway.class.getPackage().getImplementationVersion() == null
            ? "dev" : Gateway.class.getPackage().getImplementationVersion();

    private static final long LEAVE_ZOOKEEPER_MS = 3_000;
    /**
     * Jetty's DEFAULT URI compliance, except that the path spellings Jetty would refuse as ambiguous or illegal reach
     * {@link CanonicalPathHandler}, which canonicalizes them or refuses them as 400 bad_path: one set of rules for
     * every front door. The few Jetty still refuses itself (a path it cannot decode, or that climbs above the root)
     * {@link JsonErrorHandler} answers as bad_path too.
     */
    private static final UriCompliance PATH_SPELLINGS_TO_GATEWAY = UriCompliance.DEFAULT.with("ZKGATE",
            UriCompliance.Violation.AMBIGUOUS_PATH_SEGMENT, UriCompliance.Violation.AMBIGUOUS_EMPTY_SEGMENT,
            UriCompliance.Violation.AMBIGUOUS_PATH_SEPARATOR, UriCompliance.Violation.AMBIGUOUS_PATH_PARAMETER,
            UriCompliance.Violation.AMBIGUOUS_PATH_ENCODING, UriCompliance.Violation.SUSPICIOUS_PATH_CHARACTERS,
            UriCompliance.Violation.ILLEGAL_PATH_CHARACTERS);

    private final GatewaySettings settings;
    private final ZnodeLayout layout;
    private final SnapshotRef snapshots = new SnapshotRef();
    private final GatewayMetrics metrics;
    private ZooKeeperStatus zkStatus;
    private Fleet fleet;
    /** Live gateways as the fleet view counts them; what fleet-scoped rate limits divide by. */
    private final FleetSize fleetSize = new FleetSize();
    private final AtomicBoolean closed = new AtomicBoolean();
    private EmbeddedZooKeeper embedded;
    private CuratorFramework curator;
    private ControlPlane control;
    private Server server;
    private ServerConnector proxyConnector;
    /** The TLS listener ({@code --tls-port}), or null. */
    private ServerConnector tlsConnector;
    private TlsContext tls;
    private ServerConnector adminConnector;
    private DemoBackends demo;
    private AdminHandler admin;
    private ActiveHealthChecker health;
    /** The event-loop engine, or null when the servlet engine serves the proxy port. */
    private LoopEngine loopEngine;
    /** Sends the copies of mirrored requests for both engines; started and stopped with the server. */
    private Mirror mirror;
    private ZkConnectionLog connectionLog;
    /** OpenTelemetry span export ({@code --otel-endpoint}), or null when off: then no class of the SDK is loaded. */
    private SpanExport spans;
    /** Set once everything started: a gateway that failed to start stops without "stopping" lines. */
    private volatile boolean started;

    private Gateway(GatewaySettings settings) {
        this.settings = settings;
        this.layout = new ZnodeLayout(settings.zkgateRoot(), settings.servicesRoot());
        this.metrics = new GatewayMetrics(settings.backendMetricsRetentionMs());
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
        if (settings.tls().enabled()) { // first: a certificate that cannot be served stops the start at once
            try {
                tls = TlsContext.start(settings.tls(), metrics.registry());
            } catch (TlsCertificates.TlsException e) {
                throw new StartupException(e.getMessage());
            }
        }
        String connect = settings.zkConnect();
        if (settings.embeddedZooKeeper()) {
            embedded = EmbeddedZooKeeper.start("127.0.0.1", settings.embeddedZkPort(), settings.zooKeeperDataDir());
            connect = embedded.connectString();
        }
        CuratorFrameworkFactory.Builder builder = CuratorFrameworkFactory.builder()
                .connectString(connect)
                .sessionTimeoutMs(settings.zkSessionTimeoutMs())
                .connectionTimeoutMs(settings.zkConnectionTimeoutMs())
                .retryPolicy(new ExponentialBackoffRetry(200, 10, 5_000));
        if (!settings.zkAuth().isEmpty()) {
            builder.authorization(ZkAuth.SCHEME, ZkAuth.parse(settings.zkAuth()).authBytes());
        }
        curator = builder.build();
        zkStatus = new ZooKeeperStatus(connect);
        curator.getConnectionStateListenable().addListener((client, state) -> {
            zkStatus.stateChanged(state.name(), state.isConnected());
            metrics.zooKeeperState(state.name(), state.isConnected());
        });
        connectionLog = new ZkConnectionLog(connect, settings.zkConnectionTimeoutMs());
        connectionLog.install(curator);
        new ZkRoots(layout).install(curator);
        curator.start();

        control = new ControlPlane(layout, snapshots,
                new RouteDefaults(settings.upstreamResponseTimeoutMs(), settings.upstreamRetries(),
                        settings.retryBudgetPercent(), settings.retryBudgetMinimum()),
                settings.emptyServiceGraceMs(), metrics, zkStatus, settings.scriptInstructionLimit(),
                new OutlierSettings(settings.outlierConsecutiveFailures(), settings.outlierBaseEjectionMs(),
                        settings.outlierMaxEjectionMs(), settings.outlierMaxEjectionPercent(),
                        settings.panicThresholdPercent()),
                new LimitGuards(metrics, fleetSize, settings.rateLimitMaxKeys(), Ticker.systemTicker()));

        startJetty();

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
        admin.ready(control, fleet);
        admin.instanceMetadata(new InstanceMetadata(layout, control::instanceData));
        control.start(curator, settings.zkConnectionTimeoutMs());
        log.info("zkgate proxy listening on http://{}:{}{}, admin on http://{}:{}", settings.host(), port(),
                tlsConnector == null ? "" : " and https://" + settings.host() + ":" + tlsPort(), settings.adminHost(),
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

    private void startJetty() throws Exception {
        QueuedThreadPool threads = new QueuedThreadPool(settings.threads(), settings.minThreads());
        threads.setReservedThreads(settings.reservedThreads());
        threads.setName("zkgate");
        server = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        http.setRequestHeaderSize(settings.maxRequestHeaderBytes());
        http.setIdleTimeout(settings.clientIdleTimeoutMs());
        http.setUriCompliance(PATH_SPELLINGS_TO_GATEWAY);

        AccessLog accessLog = settings.accessLog().isEmpty() ? null : AccessLog.to(settings.accessLog());
        HttpsRedirect redirect = tls == null ? HttpsRedirect.NONE : new HttpsRedirect(settings.tls().redirect());
        if (settings.otel().enabled()) {
            spans = SpanExport.start(settings.otel(), VERSION);
        }
        RequestRouter router = new RequestRouter(snapshots, settings.metrics() ? metrics : null,
                settings.maxBodyBytes(), control::requestEjection, settings.outlierConsecutiveFailures(),
                TrustedProxies.of(settings.trustedProxies()), settings.requestIds(), redirect, spans);
        mirror = new Mirror(settings.mirrorMaxInFlight(), settings.upstreamConnectTimeoutMs());
        server.addBean(mirror);
        Mirror copies = mirror;
        metrics.registry().gauge("zkgate_mirror_in_flight", () -> (Gauge<Integer>) copies::inFlight);
        boolean loop = "loop".equals(settings.engine());
        proxyConnector = loop ? loopConnector(router, accessLog, http) : new ServerConnector(server, plainFactories(http));
        proxyConnector.setName("proxy");
        proxyConnector.setHost(settings.host());
        proxyConnector.setPort(settings.port());
        proxyConnector.setIdleTimeout(settings.clientIdleTimeoutMs());
        if (tls != null) {
            tlsConnector = tlsConnector(http);
            tlsConnector.setName("proxy-tls");
            tlsConnector.setHost(settings.host());
            tlsConnector.setPort(settings.tls().port());
            tlsConnector.setIdleTimeout(settings.clientIdleTimeoutMs());
        }
        adminConnector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(new HttpConfiguration(http)));
        adminConnector.setName("admin");
        adminConnector.setHost(settings.adminHost());
        adminConnector.setPort(settings.adminPort());
        server.addConnector(proxyConnector);
        if (tlsConnector != null) {
            server.addConnector(tlsConnector);
        }
        server.addConnector(adminConnector);

        admin = new AdminHandler(snapshots, metrics, zkStatus, VERSION, settings.adminToken());
        admin.tls(tls);
        admin.spanExport(settings.otel());
        ContextHandler adminContext = new ContextHandler(admin, "/");
        adminContext.setVirtualHosts(List.of("@admin"));
        if (loopEngine != null) {
            LoopEngine engine = loopEngine; // HTTP/1.1 on the proxy ports is served by the event loops
            metrics.registry().gauge("zkgate_websocket_tunnels_open", () -> (Gauge<Integer>) engine::openTunnels);
            metrics.registry().gauge("zkgate_websocket_tunnels_total", () -> (Gauge<Long>) engine::tunnelsOpened);
            if (tlsConnector != null || settings.tls().h2c()) {
                // HTTP/2 arrives through Jetty's HTTP/2 server at the servlet front door, over the same router
                server.setHandler(new GracefulHandler(servletFrontDoor(router, adminContext)));
            } else {
                metrics.registry().gauge("zkgate_upstream_clients", () -> (Gauge<Integer>) () -> 0);
                server.setHandler(new GracefulHandler(adminContext));
            }
        } else {
            server.setHandler(new GracefulHandler(servletFrontDoor(router, adminContext)));
        }
        server.setErrorHandler(new JsonErrorHandler(router));
        server.setStopTimeout(settings.shutdownTimeoutMs());
        if (accessLog != null) {
            server.setRequestLog(accessLog);
            log.info("access log: {}", settings.accessLog());
        }
        if (spans != null) { // Jetty's front doors end their spans where it writes its access log lines
            server.setRequestLog(accessLog == null ? spans.requestLog()
                    : new RequestLog.Collection(spans.requestLog(), accessLog));
        }
        listen(proxyConnector, "proxy", "--port");
        try {
            if (tlsConnector != null) {
                listen(tlsConnector, "TLS listener", "--tls-port");
                redirect.tlsPort(tlsConnector.getLocalPort());
            }
            listen(adminConnector, "admin server", "--admin-port");
        } catch (StartupException e) {
            proxyConnector.close();
            if (tlsConnector != null) {
                tlsConnector.close();
            }
            throw e;
        }
        server.start();
    }

    /** Binds one connector before the server starts, so a busy port is named with the flag that sets it. */
    private static void listen(ServerConnector connector, String what, String flag) throws StartupException {
        String address = (connector.getHost() == null ? "0.0.0.0" : connector.getHost()) + ":" + connector.getPort();
        try {
            connector.open();
        } catch (IOException e) {
            boolean busy = e instanceof BindException || e.getCause() instanceof BindException;
            throw new StartupException("cannot listen on " + address + " for the " + what + ": "
                    + (busy ? "the port is in use by another process" : String.valueOf(e.getMessage()))
                    + "; choose another with " + flag);
        }
    }

    /**
     * The servlet engine's front door on the proxy port: the canonical path first, then WebSocket handshakes, then
     * the proxy servlet (Jetty's {@code AsyncProxyServlet}), all over the one router; the admin context beside it.
     */
    private Handler servletFrontDoor(RequestRouter router, ContextHandler adminContext) {
        List<String> proxyConnectors = new ArrayList<>(List.of(proxyConnector.getName()));
        if (tlsConnector != null) {
            proxyConnectors.add(tlsConnector.getName());
        }
        ServletContextHandler proxyContext = new ServletContextHandler("/");
        proxyContext.setVirtualHosts(proxyConnectors.stream().map(name -> "@" + name).toList());
        GatewayProxyServlet servlet = new GatewayProxyServlet(router,
                new GatewayProxyServlet.UpstreamClientSettings(settings.upstreamConnectTimeoutMs()), mirror);
        snapshots.onPublish(servlet::snapshotPublished);
        metrics.registry().gauge("zkgate_upstream_clients", () -> (Gauge<Integer>) () -> 1 + servlet.routeClientCount());
        ServletHolder holder = new ServletHolder("proxy", servlet);
        holder.setAsyncSupported(true);
        holder.setInitParameter("maxConnections", Integer.toString(settings.upstreamMaxConnections()));
        holder.setInitParameter("idleTimeout", Integer.toString(settings.upstreamIdleTimeoutMs()));
        holder.setInitParameter("timeout", Integer.toString(settings.upstreamResponseTimeoutMs()));
        holder.setInitOrder(0);
        proxyContext.addServlet(holder, "/*");
        WebSocketTunnel tunnel = new WebSocketTunnel(new ContextHandlerCollection(proxyContext, adminContext),
                router, proxyConnectors, settings.websocketIdleTimeoutMs(),
                settings.upstreamConnectTimeoutMs());
        metrics.registry().gauge("zkgate_websocket_tunnels_open", () -> (Gauge<Integer>) tunnel::openTunnels);
        metrics.registry().gauge("zkgate_websocket_tunnels_total", () -> (Gauge<Long>) tunnel::tunnelsOpened);
        return new CanonicalPathHandler(new RouteCompression(tunnel, snapshots, proxyConnectors), router,
                proxyConnectors, settings.metrics() ? metrics.noRoute() : null);
    }

    /** The plain proxy port's protocols on the servlet engine: HTTP/1.1, and h2c with prior knowledge if asked. */
    private ConnectionFactory[] plainFactories(HttpConfiguration http) {
        HttpConnectionFactory http1 = new HttpConnectionFactory(http);
        return settings.tls().h2c() ? new ConnectionFactory[] {http1, new PriorKnowledgeH2c(http)}
                : new ConnectionFactory[] {http1};
    }

    /**
     * The TLS listener: Jetty's SslConnection, then ALPN choosing h2 (Jetty's HTTP/2 server, into the servlet front
     * door) or HTTP/1.1 (the event loop's own connection on the loop engine, Jetty's HttpConnection on the servlet
     * engine); HTTP/1.1 for clients that offer no ALPN.
     */
    private ServerConnector tlsConnector(HttpConfiguration http) {
        HttpConfiguration https = new HttpConfiguration(http);
        SecureRequestCustomizer secure = new SecureRequestCustomizer(false, false, -1, false); // any Host, any SNI
        https.addCustomizer(secure);
        ALPNServerConnectionFactory alpn = loopEngine != null ? new LoopAlpnConnectionFactory("h2", "http/1.1")
                : new ALPNServerConnectionFactory("h2", "http/1.1");
        alpn.setDefaultProtocol("http/1.1");
        HTTP2ServerConnectionFactory h2 = new HTTP2ServerConnectionFactory(https);
        if (loopEngine != null) {
            LoopConnector connector = new LoopConnector(server, settings.eventLoops(),
                    new LoopSslConnectionFactory(tls.factory(), alpn.getProtocol()), alpn, h2, loopEngine);
            connector.getSelectorManager().setConnectTimeout(3_600_000);
            return connector;
        }
        return new ServerConnector(server, new SslConnectionFactory(tls.factory(), alpn.getProtocol()), alpn, h2,
                new HttpConnectionFactory(https));
    }

    /** The event-loop engine's connector: one selector thread per loop, upstreams on the selector that needs them. */
    private ServerConnector loopConnector(RequestRouter router, AccessLog accessLog, HttpConfiguration http) {
        LoopEngine engine = new LoopEngine(router, settings.maxRequestHeaderBytes(), settings.upstreamIdleTimeoutMs(),
                settings.upstreamMaxConnections(), accessLog, settings.websocketIdleTimeoutMs(),
                settings.upstreamConnectTimeoutMs(), mirror);
        loopEngine = engine;
        snapshots.onPublish(engine::snapshotPublished);
        LoopConnector connector = settings.tls().h2c()
                ? new LoopConnector(server, settings.eventLoops(),
                        new DetectorConnectionFactory(new H2cPriorKnowledge(http)), engine)
                : new LoopConnector(server, settings.eventLoops(), engine);
        connector.getSelectorManager().setConnectTimeout(3_600_000); // each connect has its route's own timeout
        log.info("engine: loop, {} event loops", settings.eventLoops());
        return connector;
    }

    public int port() {
        return proxyConnector.getLocalPort();
    }

    /** The TLS listener's port, or -1 without one. */
    public int tlsPort() {
        return tlsConnector == null ? -1 : tlsConnector.getLocalPort();
    }

    /** The TLS listener's certificates, or null without one. */
    public TlsContext tls() {
        return tls;
    }

    public int adminPort() {
        return adminConnector.getLocalPort();
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
        return curator;
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
        if (loud && settings.shutdownDelayMs() > 0 && admin != null) {
            admin.draining();
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
            try {
                server.stop();
            } catch (Exception e) {
                log.warn("proxy did not stop cleanly: {}", e.toString());
            }
        }
        if (spans != null) {
            spans.close(); // after the server: the requests it let finish have ended their spans
        }
        if (tls != null) {
            tls.close();
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
        leaveZooKeeper(loud);
        if (connectionLog != null) {
            connectionLog.close();
        }
        if (embedded != null) {
            if (loud) {
                embedded.close();
            } else {
                embedded.stop();
            }
        }
        if (loud) {
            log.info("zkgate stopped");
        }
    }

    /**
     * Removes this gateway's fleet node and closes the session, waiting at most {@link #LEAVE_ZOOKEEPER_MS}: with
     * ZooKeeper unreachable, Curator would retry the delete for a minute, holding up a shutdown that has nothing to
     * lose (the node is ephemeral and goes with the session).
     */
    private void leaveZooKeeper(boolean loud) {
        boolean left = BoundedStep.run("zkgate-leave-zookeeper", LEAVE_ZOOKEEPER_MS, () -> {
            if (fleet != null) {
                fleet.close();
            }
            if (curator != null) {
                curator.close();
            }
        });
        if (!left && loud) {
            log.warn("ZooKeeper unreachable: not waiting for the session to close (its ephemeral nodes go when it "
                    + "expires)");
        }
    }
}
