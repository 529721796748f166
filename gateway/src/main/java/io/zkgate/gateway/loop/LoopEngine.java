package io.zkgate.gateway.loop;

import io.zkgate.gateway.mirror.Mirror;
import io.zkgate.gateway.proxy.AccessLog;
import io.zkgate.gateway.routing.RequestRouter;
import io.zkgate.gateway.routing.Snapshot;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.AbstractConnectionFactory;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.util.component.Graceful;

/**
 * The event-loop data path's settings and the factory of its client connections: HTTP/1.1 parsed and generated
 * on the selector thread that read it, routed by the shared {@link RequestRouter}, and proxied over upstream
 * connections opened on that same selector. Immutable after start.
 *
 * @param router              the one routing decision
 * @param maxHeaderBytes      request line and headers over this get 431
 * @param upstreamIdleMs      a pooled upstream connection idle this long is closed
 * @param maxIdlePerBackend   idle upstream connections kept per backend and event loop
 */
public final class LoopEngine extends AbstractConnectionFactory implements Graceful {
    final RequestRouter router;
    final int maxHeaderBytes;
    final long upstreamIdleMs;
    final int maxIdlePerBackend;
    final AccessLog accessLog;
    final long websocketIdleMs;
    final long connectTimeoutMs;
    /** Sends the copies of mirrored requests, or null when the gateway mirrors nothing. */
    final Mirror mirror;
    /** TLS contexts of routes with {@code upstream.tls}, shared by the loops. */
    final UpstreamTls upstreamTls = new UpstreamTls();
    /** Hands requests for routes with HTTP/2 backends, and the rest of their connection, to the servlet front door. */
    final ServletHandoff handoff = new ServletHandoff();
    private final ServletOnlyRouteNotice notice = new ServletOnlyRouteNotice();
    private final AtomicInteger tunnelsOpen = new AtomicInteger();
    private final AtomicLong tunnelsOpened = new AtomicLong();
    /** Exchanges under way, all loops; a graceful stop waits for none. */
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile CompletableFuture<Void> drained;

    /** @param accessLog where each request is logged, or null */
    public LoopEngine(RequestRouter router, int maxHeaderBytes, long upstreamIdleMs, int maxIdlePerBackend,
            AccessLog accessLog, long websocketIdleMs, long connectTimeoutMs) {
        this(router, maxHeaderBytes, upstreamIdleMs, maxIdlePerBackend, accessLog, websocketIdleMs, connectTimeoutMs,
                null);
    }

    /**
     * @param accessLog where each request is logged, or null
     * @param mirror    sends the copies of mirrored requests, or null to send none
     */
    public LoopEngine(RequestRouter router, int maxHeaderBytes, long upstreamIdleMs, int maxIdlePerBackend,
            AccessLog accessLog, long websocketIdleMs, long connectTimeoutMs, Mirror mirror) {
        super("http/1.1");
        this.mirror = mirror;
        this.connectTimeoutMs = connectTimeoutMs;
        this.websocketIdleMs = websocketIdleMs;
        this.router = router;
        this.accessLog = accessLog;
        this.maxHeaderBytes = maxHeaderBytes;
        this.upstreamIdleMs = upstreamIdleMs;
        this.maxIdlePerBackend = maxIdlePerBackend;
    }

    @Override
    public Connection newConnection(Connector c, EndPoint endPoint) {
        return configure(new ClientConnection(this, (LoopConnector) c, endPoint, c.getExecutor()), c, endPoint);
    }

    /** Jetty's graceful stop: the connector stops accepting, and this completes once no exchange is under way. */
    @Override
    public synchronized CompletableFuture<Void> shutdown() {
        if (drained != null) { // the plain and the TLS connectors share this engine: one wait for both
            return drained;
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        drained = done;
        if (inFlight.get() == 0) {
            done.complete(null);
        }
        return done;
    }

    @Override
    public boolean isShutdown() {
        return drained != null;
    }

    void exchangeStarted() {
        inFlight.incrementAndGet();
    }

    void exchangeEnded() {
        CompletableFuture<Void> done = drained;
        if (inFlight.decrementAndGet() == 0 && done != null) {
            done.complete(null);
        }
    }

    void tunnelOpened() {
        tunnelsOpen.incrementAndGet();
        tunnelsOpened.incrementAndGet();
    }

    void tunnelClosed() {
        tunnelsOpen.decrementAndGet();
    }

    @Override
    protected void doStop() throws Exception {
        upstreamTls.stopAll();
        super.doStop();
    }

    /**
     * The servlet front door serves the proxy connectors too (before start): requests for routes with HTTP/2 backends
     * are handed to it, with Jetty's HTTP/1.1 connection made with {@code http}, or {@code https} for TLS clients
     * (null without a TLS listener). Without it such requests are answered 502.
     */
    public void servletFrontDoor(HttpConfiguration http, HttpConfiguration https) {
        handoff.frontDoor(http, https, maxHeaderBytes);
    }

    /** Called with each published snapshot (control thread): notes routes the loop engine leaves to the servlet's. */
    public void snapshotPublished(Snapshot snapshot) {
        handoff.snapshotPublished(snapshot);
        notice.snapshotPublished(snapshot);
    }

    /** WebSocket tunnels open now. */
    public int openTunnels() {
        return tunnelsOpen.get();
    }

    /** WebSocket tunnels opened since start. */
    public long tunnelsOpened() {
        return tunnelsOpened.get();
    }

}
