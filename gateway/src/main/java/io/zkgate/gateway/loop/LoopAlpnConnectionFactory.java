package io.zkgate.gateway.loop;

import java.util.List;
import java.util.ServiceLoader;
import javax.net.ssl.SSLEngine;
import org.eclipse.jetty.alpn.server.ALPNServerConnection;
import org.eclipse.jetty.alpn.server.ALPNServerConnectionFactory;
import org.eclipse.jetty.io.AbstractConnection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.ssl.ALPNProcessor;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.TypeUtil;
import org.eclipse.jetty.util.thread.Invocable.InvocationType;

/**
 * Jetty's ALPN negotiation, run on the event loop that owns the connection. Jetty's own ALPN connection asks for
 * reads with a callback that may block, so the selector hands every read of a TLS handshake to the thread pool and
 * back: several context switches per new connection. The negotiation only reads and writes a non-blocking endpoint
 * and then swaps in the chosen protocol's connection, so here its read interest says so
 * ({@link InvocationType#NON_BLOCKING}) and the handshake stays on the selector's thread, as nginx runs it on its
 * worker. ALPN processors are found as Jetty's factory finds them (the JDK's, Conscrypt's) and configure each engine
 * the same way. Thread-safe as its superclass is.
 */
public final class LoopAlpnConnectionFactory extends ALPNServerConnectionFactory {
    private final List<ALPNProcessor.Server> processors;

    public LoopAlpnConnectionFactory(String... protocols) {
        super(protocols);
        processors = TypeUtil.serviceProviderStream(ServiceLoader.load(ALPNProcessor.Server.class))
                .map(ServiceLoader.Provider::get)
                .filter(LoopAlpnConnectionFactory::usable)
                .toList();
    }

    private static boolean usable(ALPNProcessor.Server processor) {
        try {
            processor.init();
            return true;
        } catch (Throwable notOnThisJvm) {
            return false; // as Jetty's factory: a processor for another JDK or provider is skipped
        }
    }

    @Override
    protected AbstractConnection newServerConnection(Connector connector, EndPoint endPoint, SSLEngine engine,
            List<String> protocols, String defaultProtocol) {
        for (ALPNProcessor.Server processor : processors) {
            if (processor.appliesTo(engine)) {
                LoopAlpnConnection connection = new LoopAlpnConnection(connector, endPoint, engine, protocols,
                        defaultProtocol);
                processor.configure(engine, connection);
                return connection;
            }
        }
        return super.newServerConnection(connector, endPoint, engine, protocols, defaultProtocol);
    }

    /** Jetty's ALPN connection, whose read interest says non-blocking so its reads run on the selector thread. */
    static final class LoopAlpnConnection extends ALPNServerConnection {
        private final Callback fillable = Callback.from(InvocationType.NON_BLOCKING, this::onFillable,
                this::onFillInterestedFailed);

        LoopAlpnConnection(Connector connector, EndPoint endPoint, SSLEngine engine, List<String> protocols,
                String defaultProtocol) {
            super(connector, endPoint, engine, protocols, defaultProtocol);
        }

        @Override
        public void fillInterested() {
            fillInterested(fillable);
        }
    }
}
