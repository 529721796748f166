package io.zkgate.gateway.proxy;

import io.zkgate.gateway.mirror.Mirror;
import io.zkgate.gateway.routing.Decision;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;

/**
 * The servlet engine's choice to read a request body whole before sending it, so that a retry or a mirror's copy can
 * send it again: only a small body of known length, of a route that retries or mirrors. Larger or chunked bodies
 * stream as Jetty streams them, and are then neither retried nor copied. Stateless.
 */
final class ReplayableBody {
    /** Bodies up to this size are read whole when their route retries or mirrors. */
    static final int MAX_BYTES = 64 * 1024;

    private ReplayableBody() {}

    /** Whether the exchange's body is read whole before it is sent: its route retries or mirrors it. */
    static boolean kept(ProxyExchange exchange, long length) {
        return exchange != null && exchange.route() != null && fits(length)
                && (exchange.route().upstream().retryAttempts() > 0
                        || exchange.forward() != null && exchange.forward().mirror() != null);
    }

    /**
     * Whether the body is read before the backend is even asked (so the gateway answers a client's
     * {@code Expect: 100-continue} itself): the first attempt of a mirrored request, so that its copy carries the
     * body.
     */
    static boolean readFirst(Mirror mirror, ProxyExchange exchange, long length) {
        Decision.Forward forward = exchange == null ? null : exchange.forward();
        return mirror != null && forward != null && forward.attempt() == 0 && forward.mirror() != null
                && fits(length);
    }

    /**
     * Reads the whole body (a blocking read, cheap for what is already received).
     *
     * @throws IOException when the body ends before its declared length
     */
    static byte[] read(HttpServletRequest request, long length) throws IOException {
        byte[] body = request.getInputStream().readNBytes((int) length);
        if (body.length != length) {
            throw new IOException("request body ended after " + body.length + " of " + length + " bytes");
        }
        return body;
    }

    private static boolean fits(long length) {
        return length >= 0 && length <= MAX_BYTES;
    }
}
