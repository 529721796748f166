package io.zkgate.gateway.tls;

import java.util.concurrent.Executor;
import javax.net.ssl.SSLEngine;
import org.conscrypt.Conscrypt;
import org.eclipse.jetty.io.ByteBufferPool;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.ssl.SslConnection;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * Jetty's TLS connection that lets go of the connection when it closes. A Conscrypt engine is freed by a finalizer,
 * so whatever it references outlives the connection by a collection or two; its ALPN selector (installed by Jetty's
 * Conscrypt ALPN processor) references the connection, and through it every buffer of the connection. Under a TLS
 * handshake per request that kept hundreds of closed connections alive into the old generation: full collections
 * every two seconds. Dropping the selector at close lets the connection go with the young generation, as with the
 * JDK's engine (for which this does nothing). Thread-safe as its superclass is.
 */
public class ReleasingSslConnection extends SslConnection {
    public ReleasingSslConnection(ByteBufferPool pool, Executor executor, SslContextFactory factory, EndPoint endPoint,
            SSLEngine engine, boolean directForEncryption, boolean directForDecryption) {
        super(pool, executor, factory, endPoint, engine, directForEncryption, directForDecryption);
    }

    @Override
    public void onClose(Throwable cause) {
        super.onClose(cause);
        SSLEngine engine = getSSLEngine();
        if (Conscrypt.isConscrypt(engine)) {
            Conscrypt.setApplicationProtocolSelector(engine, null);
        }
    }
}
