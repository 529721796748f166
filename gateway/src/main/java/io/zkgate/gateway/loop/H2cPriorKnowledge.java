package io.zkgate.gateway.loop;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http2.server.HTTP2CServerConnectionFactory;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.HttpConfiguration;

/**
 * HTTP/2 with prior knowledge (RFC 9113, 3.3) on the loop engine's plain port: recognizes the client preface
 * {@code PRI * HTTP/2.0} in a connection's first bytes, for Jetty's {@code DetectorConnectionFactory}, which then
 * hands the connection to Jetty's HTTP/2 server, and every other connection to the event loop's HTTP/1.1.
 * Thread-safe (stateless beyond Jetty's factory).
 */
public final class H2cPriorKnowledge extends HTTP2CServerConnectionFactory implements ConnectionFactory.Detecting {
    private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    public H2cPriorKnowledge(HttpConfiguration http) {
        super(http);
    }

    @Override
    public Detection detect(ByteBuffer buffer) {
        int n = Math.min(buffer.remaining(), PREFACE.length);
        int at = buffer.position();
        for (int i = 0; i < n; i++) {
            if (buffer.get(at + i) != PREFACE[i]) {
                return Detection.NOT_RECOGNIZED;
            }
        }
        return n == PREFACE.length ? Detection.RECOGNIZED : Detection.NEED_MORE_BYTES;
    }
}
