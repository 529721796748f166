package io.zkgate.gateway;

import com.codahale.metrics.Gauge;
import io.zkgate.config.GatewaySettings;
import io.zkgate.gateway.admin.AdminHandler;
import io.zkgate.gateway.control.ControlPlane;
import io.zkgate.gateway.control.ZooKeeperStatus;
import io.zkgate.gateway.loop.H2cPriorKnowledge;
import io.zkgate.gateway.loop.LoopAlpnConnectionFactory;
import io.zkgate.gateway.loop.LoopConnector;
import io.zkgate.gateway.loop.LoopEngine;
import io.zkgate.gateway.loop.LoopSslConnectionFactory;
import io.zkgate.gateway.metrics.GatewayMetrics;
import io.zkgate.gateway.mirror.Mirror;
import io.zkgate.gateway.proxy.AccessLog;
import io.zkgate.gateway.proxy.CanonicalPathHandler;
import io.zkgate.gateway.proxy.GatewayProxyServlet;
import io.zkgate.gateway.proxy.JsonErrorHandler;
import io.zkgate.gateway.proxy.PriorKnowledgeH2c;
import io.zkgate.gateway.proxy.RouteCompression;
import io.zkgate.gateway.proxy.UpstreamHttpClient;
import io.zkgate.gateway.proxy.WebSocketTunnel;
import io.zkgate.gateway.routing.HttpsRedirect;
import io.zkgate.gateway.routing.RequestRouter;
import io.zkgate.gateway.routing.SnapshotRef;
import io.zkgate.gateway.routing.TrustedProxies;
import io.zkgate.gateway.tls.ReleasingSslConnection;
import io.zkgate.gateway.tls.TlsContext;
import io.zkgate.gateway.tracing.SpanExport;
import java.io.IOException;
import java.net.BindException;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLEngine;
import org.eclipse.jetty.alpn.server.ALPNServerConnectionFactory;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.http2.server.HTTP2ServerConnectionFactory;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.ssl.SslConnection;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.DetectorConnectionFactory;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.RequestLog;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.server.handler.ContextHandler;
import org.eclipse.jetty.server.handler.ContextHandlerCollection;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's Jetty server: one thread pool, the proxy connector (the event loops or the servlet engine's
 * HttpConnection), the TLS listener when configured, the admin connector, the handlers behind them, all over one
 * {@link RequestRouter}. Each connector is bound before the server starts, so a busy port is named with the flag
 * that moves it. Not thread-safe: {@link Gateway} starts it once and stops it once.
 */
final class GatewayServer {
    private static final Logger log = LoggerFactory.getLogger(Gateway.class); // logged as the gateway's own lines
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
    private final SnapshotRef snapshots;
    private final GatewayMetrics metrics;
    /** The TLS listener's certificates, or null without one. */
    private final TlsContext tls;
    private final Server server;
    private ServerConnector proxyConnector;
    /** The TLS listener ({@code --tls-port}), or null. */
    private ServerConnector tlsConnector;
    private ServerConnector adminConnector;
    private AdminHandler admin;
    /** The event-loop engine, or null when the servlet engine serves the proxy port. */
    private LoopEngine loopEngine;
    /** Sends the copies of mirrored requests for both engines; started and stopped with the server. */
    private Mirror mirror;
    /** OpenTelemetry span export ({@code --otel-endpoint}), or null when off: then no class of the SDK is loaded. */
    private SpanExport spans;

    GatewayServer(GatewaySettings settings, SnapshotRef snapshots, GatewayMetrics metrics, TlsContext tls) {
        this.settings = settings;
        this.snapshots = snapshots;
        this.metrics = metrics;
        this.tls = tls;
        QueuedThreadPool threads = new QueuedThreadPool(settings.threads(), settings.minThreads());
        threads.setReservedThreads(settings.reservedThreads());
        threads.setName("zkgate");
        this.server = new Server(threads);
    }

    /** Builds the connectors and handlers, binds every port, and starts serving. */
    void start(ControlPlane control, ZooKeeperStatus zkStatus) throws Exception {
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        http.setRequestHeaderSize(settings.maxRequestHeaderBytes());
        http.setResponseHeaderSize(UpstreamHttpClient.MAX_RESPONSE_HEAD_BYTES); // what a backend may send on
        http.setIdleTimeout(settings.clientIdleTimeoutMs());
        http.setUriCompliance(PATH_SPELLINGS_TO_GATEWAY);
        http.setHeaderCacheSize(0); // no header-field trie kept per client connection, as on the event loop

        AccessLog accessLog = settings.accessLog().isEmpty() ? null : AccessLog.to(settings.accessLog());
        HttpsRedirect redirect = tls == null ? HttpsRedirect.NONE : new HttpsRedirect(settings.tls().redirect());
        if (settings.otel().enabled()) {
            spans = SpanExport.start(settings.otel(), Gateway.VERSION);
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
        proxyConnector.setAcceptQueueSize(settings.acceptQueue());
        HttpConfiguration https = tls == null ? null : httpsConfiguration(http);
        if (tls != null) {
            tlsConnector = tlsConnector(https);
            tlsConnector.setName("proxy-tls");
            tlsConnector.setHost(settings.host());
            tlsConnector.setPort(settings.tls().port());
            tlsConnector.setIdleTimeout(settings.clientIdleTimeoutMs());
            tlsConnector.setAcceptQueueSize(settings.acceptQueue());
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

        admin = new AdminHandler(snapshots, metrics, zkStatus, Gateway.VERSION, settings.adminToken());
        admin.tls(tls);
        admin.spanExport(settings.otel());
        ContextHandler adminContext = new ContextHandler(admin, "/");
        adminContext.setVirtualHosts(List.of("@admin"));
        if (loopEngine != null) {
            LoopEngine engine = loopEngine; // HTTP/1.1 on the proxy ports is served by the event loops
            metrics.registry().gauge("zkgate_websocket_tunnels_open", () -> (Gauge<Integer>) engine::openTunnels);
            metrics.registry().gauge("zkgate_websocket_tunnels_total", () -> (Gauge<Long>) engine::tunnelsOpened);
            // HTTP/2 clients, and HTTP/1.1 requests for routes with HTTP/2 backends (handed over by the event loop),
            // reach the servlet front door, over the same router
            engine.servletFrontDoor(http, https);
            server.setHandler(new GracefulHandler(servletFrontDoor(router, adminContext)));
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

    int port() {
        return proxyConnector.getLocalPort();
    }

    /** The TLS listener's port, or -1 without one. */
    int tlsPort() {
        return tlsConnector == null ? -1 : tlsConnector.getLocalPort();
    }

    int adminPort() {
        return adminConnector.getLocalPort();
    }

    AdminHandler admin() {
        return admin;
    }

    /** Blocks until the server stops. */
    void join() throws InterruptedException {
        server.join();
    }

    /** Stops accepting and lets in-flight requests finish, within {@code --shutdown-timeout-ms}. */
    void stop() {
        try {
            server.stop();
        } catch (Exception e) {
            log.warn("proxy did not stop cleanly: {}", e.toString());
        }
        if (spans != null) {
            spans.close(); // after the server: the requests it let finish have ended their spans
        }
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
    private ServerConnector tlsConnector(HttpConfiguration https) {
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
        SslConnectionFactory ssl = new SslConnectionFactory(tls.factory(), alpn.getProtocol()) {
            @Override
            protected SslConnection newSslConnection(Connector connector, EndPoint endPoint, SSLEngine engine) {
                return new ReleasingSslConnection(connector.getByteBufferPool(), connector.getExecutor(),
                        getSslContextFactory(), endPoint, engine, isDirectBuffersForEncryption(),
                        isDirectBuffersForDecryption());
            }
        };
        return new ServerConnector(server, ssl, alpn, h2, new HttpConnectionFactory(https));
    }

    /** The TLS listener's HTTP settings: the plain port's, and requests know they came over TLS. */
    private static HttpConfiguration httpsConfiguration(HttpConfiguration http) {
        HttpConfiguration https = new HttpConfiguration(http);
        SecureRequestCustomizer secure = new SecureRequestCustomizer(false, false, -1, false); // any Host, any SNI
        https.addCustomizer(secure);
        return https;
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
}
