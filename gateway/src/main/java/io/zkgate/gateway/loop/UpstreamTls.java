package io.zkgate.gateway.loop;

import io.zkgate.gateway.upstream.UpstreamTlsContexts;
import io.zkgate.schema.Route;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import javax.net.ssl.SSLEngine;
import org.eclipse.jetty.io.ByteBufferPool;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.ssl.SslConnection;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * TLS to backends on the event loops: Jetty's {@link SslConnection} under the upstream connection, on the same
 * selector, with one started client context per distinct {@code upstream.tls} setting (shared by every loop).
 * Plain-text routes never come here. Thread-safe: the contexts are in a concurrent map and Jetty's contexts are
 * thread-safe once started.
 */
final class UpstreamTls {
    private final Map<Route.Tls, SslContextFactory.Client> contexts = new ConcurrentHashMap<>();

    /**
     * Wraps the connected {@code network} endpoint in TLS toward {@code host:port}; the returned connection's
     * {@link SslConnection#getSslEndPoint() decrypted endpoint} is where the HTTP connection goes.
     */
    static SslConnection wrap(SslContextFactory.Client context, EndPoint network, String host, int port,
            ByteBufferPool buffers, Executor executor) {
        SSLEngine engine = context.newSSLEngine(host, port);
        engine.setUseClientMode(true);
        context.customize(engine);
        SslConnection connection = new SslConnection(buffers, executor, network, engine, false, false);
        connection.setRenegotiationAllowed(false);
        return connection;
    }

    /** The started context of {@code tls}, made on first use; fails when its files cannot be used. */
    SslContextFactory.Client context(Route.Tls tls) throws IOException {
        SslContextFactory.Client known = contexts.get(tls);
        if (known != null) {
            return known;
        }
        SslContextFactory.Client fresh = UpstreamTlsContexts.newClientContext(tls);
        try {
            fresh.start();
        } catch (Exception e) {
            throw new IOException("upstream TLS context cannot start: " + e.getMessage(), e);
        }
        SslContextFactory.Client raced = contexts.putIfAbsent(tls, fresh);
        if (raced != null) {
            stop(fresh);
            return raced;
        }
        return fresh;
    }

    void stopAll() {
        contexts.values().forEach(UpstreamTls::stop);
        contexts.clear();
    }

    private static void stop(SslContextFactory.Client context) {
        try {
            context.stop();
        } catch (Exception ignored) {
            // stopping
        }
    }
}
