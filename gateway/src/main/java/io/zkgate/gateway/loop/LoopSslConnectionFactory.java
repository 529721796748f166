package io.zkgate.gateway.loop;

import io.zkgate.gateway.loop.LoopConnector.LoopEndPoint;
import io.zkgate.gateway.tls.ReleasingSslConnection;
import java.util.concurrent.Executor;
import javax.net.ssl.SSLEngine;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.ssl.SslConnection;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * Jetty's TLS beneath the event loop: an {@link SslConnection} on the loop's socket endpoint whose decrypted
 * endpoint carries the loop's {@link ClientConnection} (or, after ALPN chose h2, Jetty's HTTP/2 connection). The
 * SslConnection runs some callbacks through its executor (decrypted bytes already waiting when a reader asks for
 * more, a write that waited for a handshake read); here that executor keeps them on the event loop while the
 * decrypted side is the loop's own connection, all of whose code must run there, or the ALPN negotiation
 * ({@link LoopAlpnConnectionFactory}), and hands them to the thread pool once ALPN chose HTTP/2, as Jetty would.
 * Thread-safe as its superclass is.
 */
public final class LoopSslConnectionFactory extends SslConnectionFactory {
    public LoopSslConnectionFactory(SslContextFactory.Server context, String nextProtocol) {
        super(context, nextProtocol);
    }

    @Override
    protected SslConnection newSslConnection(Connector connector, EndPoint endPoint, SSLEngine engine) {
        LoopConnector.LoopSelector loop = ((LoopEndPoint) endPoint).loop;
        Executor pool = connector.getExecutor();
        SslConnection[] created = new SslConnection[1];
        Executor executor = task -> {
            Connection decrypted = created[0].getSslEndPoint().getConnection();
            if (decrypted instanceof ClientConnection || decrypted instanceof LoopAlpnConnectionFactory.LoopAlpnConnection) {
                loop.later(task);
            } else {
                pool.execute(task);
            }
        };
        created[0] = new ReleasingSslConnection(connector.getByteBufferPool(), executor, getSslContextFactory(),
                endPoint, engine, isDirectBuffersForEncryption(), isDirectBuffersForDecryption());
        return created[0];
    }
}
