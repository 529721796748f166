package io.zkgate.gateway.proxy;

import java.io.IOException;
import org.eclipse.jetty.io.ClientConnectionFactory;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * A Jetty {@link ClientConnector} that starts its TLS context when its client first connects to an {@code https}
 * backend, not when the client starts. Jetty's connector starts it with the client, which loads the JDK's TLS stack
 * and parses its whole trust store (about 4 MB of metaspace and several of heap) in every gateway, though most route
 * to plain-HTTP backends only. The gateway's own clients (the servlet front door's default upstream client, the
 * active health checker's, the mirror's) use this one; a route's own {@code upstream.tls} context is started with its
 * client, as before, since that route asks for TLS. Thread-safe: the first connections to {@code https} backends may
 * race, and one of them starts the context while the others wait for it.
 */
public final class LazyTlsClientConnector extends ClientConnector {
    public LazyTlsClientConnector() {
        setSslContextFactory(new SslContextFactory.Client());
    }

    @Override
    protected void doStart() throws Exception {
        unmanage(getSslContextFactory()); // not started with the client, not stopped by it: doStop stops it
        super.doStart();
    }

    @Override
    protected void doStop() throws Exception {
        super.doStop();
        SslContextFactory.Client tls = getSslContextFactory();
        synchronized (this) {
            if (tls.isStarted()) {
                tls.stop();
            }
        }
    }

    /**
     * Called for each new {@code https} destination, on the thread sending its first request. A context that cannot
     * load fails that destination's connections with the reason (Jetty would otherwise leave its requests waiting
     * for their timeout); the next destination tries again.
     */
    @Override
    public ClientConnectionFactory newSslClientConnectionFactory(SslContextFactory.Client tls,
            ClientConnectionFactory factory) {
        SslContextFactory.Client context = tls == null ? getSslContextFactory() : tls;
        synchronized (this) {
            if (!context.isStarted()) {
                try {
                    context.start();
                } catch (Exception e) {
                    IOException unusable = new IOException("the TLS context to reach https backends did not load: "
                            + e.getMessage(), e);
                    return (endPoint, connectionContext) -> {
                        throw unusable;
                    };
                }
            }
        }
        return super.newSslClientConnectionFactory(context, factory);
    }
}
