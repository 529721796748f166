package io.zkgate.gateway.tls;

import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.ref.PhantomReference;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSocket;
import org.conscrypt.ApplicationProtocolSelector;
import org.conscrypt.Conscrypt;
import org.eclipse.jetty.io.AbstractConnection;
import org.eclipse.jetty.io.ArrayByteBufferPool;
import org.eclipse.jetty.io.ByteArrayEndPoint;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.junit.jupiter.api.Test;

/**
 * A closed TLS connection is collectable at the next collection even on Conscrypt, whose engines are freed by
 * finalizers: nothing of the connection stays reachable from its engine.
 */
class ReleasingSslConnectionTest {
    private final ReferenceQueue<Object> queue = new ReferenceQueue<>();

    @Test
    void whatTheEnginesAlpnSelectorHeldIsCollectedByTheFirstCollectionAfterTheConnectionCloses() throws Exception {
        assumeTrue(TlsProvider.conscryptLoads(), "Conscrypt's native library does not load here");
        Reference<Object> connectionState = openAndCloseAConnection();

        System.gc(); // one collection: an object reachable only from an engine awaiting finalization survives it
        assertSame(connectionState, queue.remove(10_000), "what the ALPN selector referenced was not collected");
    }

    /** A connection whose engine's ALPN selector references a stand-in for the connection's state, closed. */
    private Reference<Object> openAndCloseAConnection() throws Exception {
        SSLContext context = SSLContext.getInstance("TLS", Conscrypt.newProvider());
        context.init(null, null, null);
        SSLEngine engine = context.createSSLEngine();
        engine.setUseClientMode(false);
        Object state = new byte[64 * 1024];
        Reference<Object> reference = new PhantomReference<>(state, queue);
        Conscrypt.setApplicationProtocolSelector(engine, new ApplicationProtocolSelector() { // as Jetty's ALPN does
            @Override
            public String selectApplicationProtocol(SSLEngine e, List<String> protocols) {
                return state.toString();
            }

            @Override
            public String selectApplicationProtocol(SSLSocket s, List<String> protocols) {
                return state.toString();
            }
        });
        ByteArrayEndPoint socket = new ByteArrayEndPoint();
        ReleasingSslConnection tls = new ReleasingSslConnection(new ArrayByteBufferPool(), Runnable::run,
                new SslContextFactory.Server(), socket, engine, false, false);
        tls.getSslEndPoint().setConnection(new AbstractConnection(tls.getSslEndPoint(), Runnable::run) {
            @Override
            public void onFillable() {
            }
        });
        tls.onClose(null);
        return reference;
    }
}
