package io.zkgate.gateway.loop;

import io.zkgate.gateway.balancer.Endpoint;
import io.zkgate.gateway.loop.LoopConnector.LoopEndPoint;
import io.zkgate.gateway.loop.LoopConnector.LoopSelector;
import io.zkgate.gateway.metrics.BackendMetrics;
import io.zkgate.gateway.routing.Decision;
import io.zkgate.gateway.routing.ErrorResponse;
import io.zkgate.gateway.routing.RequestRouter;
import java.io.IOException;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.ssl.SslConnection;
import org.eclipse.jetty.io.ssl.SslHandshakeListener;

/**
 * An exchange's attempts at a backend: a pooled connection taken or a new one opened (with TLS beneath it for TLS
 * routes), attached with the backend's in-flight place taken, and given back or closed at the end; and what a failed
 * attempt becomes: a stale pooled connection's request resent on a fresh one, a retry on another backend, a 502 or
 * 504, or a cut response. Stateless: it works on the exchange's fields, on the exchange's event-loop thread.
 */
final class UpstreamAttempts {
    private UpstreamAttempts() {}

    /** Sends the request to {@code next}'s backend: on a pooled connection, or on one opened for it. */
    static void send(Exchange x, Decision.Forward next) {
        x.forward = next;
        x.staleRetried = false; // each backend tried may meet a pooled connection it had closed
        Endpoint endpoint = next.endpoint();
        if (next.route().upstreamTls()) {
            try {
                x.tlsContext = x.engine.upstreamTls.context(next.route().route().upstreamTls());
            } catch (IOException e) {
                LocalAnswers.refuse(x, next.routeId(), ErrorResponse.UPSTREAM_UNREACHABLE, "route '" + next.routeId()
                        + "': its upstream TLS setting cannot be used: " + e.getMessage());
                x.router.record(next.route(), x.method, ErrorResponse.UPSTREAM_UNREACHABLE.status(), x.startNanos);
                return;
            }
        }
        UpstreamConnection pooled = x.loop.pool.take(poolKey(next));
        if (pooled != null) {
            attach(x, pooled);
            return;
        }
        x.client.connector.connectUpstream(endpoint.host(), port(next), connectTimeoutMs(x), x);
    }

    /** The port the route reaches the backend on: its TLS port for TLS routes. */
    static int port(Decision.Forward f) {
        return f.route().upstreamTls() ? f.endpoint().tlsPort() : f.endpoint().port();
    }

    /** Pooled connections are kept by address, and for TLS routes by TLS setting too: one TLS context per pool. */
    private static String poolKey(Decision.Forward f) {
        Endpoint e = f.endpoint();
        return f.route().upstreamTls() ? e.tlsAuthority() + " " + f.route().route().upstreamTls()
                : e.authority();
    }

    /** The route's {@code timeouts.connectMs}, or the gateway's default. */
    private static long connectTimeoutMs(Exchange x) {
        long ms = x.forward.route().upstream().connectTimeoutMs();
        return ms > 0 ? ms : x.engine.connectTimeoutMs;
    }

    /** The channel opened for {@code x} connected: its upstream connection, attached unless the exchange ended. */
    static Connection connected(Exchange x, EndPoint endPoint, LoopSelector loop) {
        Decision.Forward forward = x.forward;
        ClientConnection client = x.client;
        SslConnection ssl = x.tlsContext == null ? null : UpstreamTls.wrap(x.tlsContext, endPoint,
                forward.endpoint().host(), port(forward), client.connector.getByteBufferPool(), client.executor());
        UpstreamConnection c = new UpstreamConnection(ssl == null ? endPoint : ssl.getSslEndPoint(),
                (LoopEndPoint) endPoint, client.executor(), loop, poolKey(forward));
        if (ssl != null) {
            ssl.getSslEndPoint().setConnection(c);
            ssl.addHandshakeListener(new SslHandshakeListener() {
                @Override
                public void handshakeFailed(Event event, Throwable failure) {
                    c.tlsFailed(failure);
                }
            });
        }
        if (x.finished) { // the exchange ended while this was connecting (client gone): the connection goes to the pool
            c.release(x.engine.upstreamIdleMs, x.engine.maxIdlePerBackend);
        } else {
            attach(x, c);
        }
        return ssl == null ? c : ssl;
    }

    /** Connecting failed: a retry on another backend, or a 502. */
    static void connectFailed(Exchange x, Throwable failure) {
        if (x.finished) {
            return;
        }
        Decision.Forward forward = x.forward;
        Endpoint endpoint = forward.endpoint();
        x.router.failed(endpoint);
        BackendMetrics m = x.router.backendMetrics(endpoint);
        if (m != null) {
            m.failed(false);
        }
        Decision.Forward next = x.router.retry(forward, x.method, true, !x.requestBodyStarted);
        if (next != null) {
            send(x, next);
            return;
        }
        LocalAnswers.refuse(x, forward.routeId(), ErrorResponse.UPSTREAM_UNREACHABLE, "backend "
                + x.upstreamAddress() + " failed: " + failure);
        x.router.record(forward.route(), x.method, 502, x.startNanos);
    }

    private static void attach(Exchange x, UpstreamConnection c) {
        Decision.Forward forward = x.forward;
        x.upstream = c;
        c.attach(x, "HEAD".equals(x.method), forward.route().responseTimeoutMs());
        x.backendMetrics = x.router.backendMetrics(forward.endpoint());
        if (x.backendMetrics != null) {
            x.backendMetrics.picked();
        }
        forward.endpoint().acquire();
        x.acquired = true;
        x.upstreamStartNanos = System.nanoTime();
        if (c.opened()) {
            RequestRelay.sendHead(x);
        }
    }

    /** Takes the upstream connection off {@code x} and gives the backend's in-flight place back; null if none. */
    static UpstreamConnection detach(Exchange x) {
        UpstreamConnection u = x.upstream;
        x.upstream = null;
        if (x.acquired) {
            x.acquired = false;
            x.forward.endpoint().release();
        }
        return u;
    }

    /** Gives the upstream connection back to the pool, or closes it. */
    static void release(Exchange x, boolean reusable) {
        UpstreamConnection u = detach(x);
        if (u == null) {
            return;
        }
        if (reusable && !u.out.pending()) { // a write still draining (the answer beat its callback) would collide
            u.release(x.engine.upstreamIdleMs, x.engine.maxIdlePerBackend);
        } else {
            u.discard();
        }
    }

    /** The upstream connection failed or closed before the exchange ended. */
    static void failed(Exchange x, Throwable failure) {
        if (x.finished || x.upstream == null) {
            return;
        }
        Decision.Forward forward = x.forward;
        UpstreamConnection u = detach(x);
        boolean nothingBack = !u.responseStarted();
        // The head's write itself failed (at once, or held to the turn's end): the backend cannot have taken it.
        boolean neverSent = !x.requestSent || u.out.heldWriteFailed();
        boolean resendable = RequestRouter.idempotent(x.method) || neverSent;
        if (nothingBack && u.reused() && !x.requestBodyStarted && !x.staleRetried && resendable) {
            // A pooled connection that turned out closed, most often the backend ending an idle one as it was taken:
            // a fresh connection to the same backend, which is neither a retry (no attempt, no budget) nor a failure
            // toward ejection. Had it gone to another backend, it would spend the request's one retry on a healthy
            // backend's idle close, and a dead backend picked for it would then fail the request. A backend going
            // down refuses the fresh connection, which counts toward its ejection and is retried as any connect
            // failure.
            x.staleRetried = true;
            x.requestSent = false;
            x.client.connector.connectUpstream(forward.endpoint().host(), port(forward), connectTimeoutMs(x), x);
            return;
        }
        x.router.failed(forward.endpoint());
        if (x.backendMetrics != null) {
            x.backendMetrics.failed(false);
        }
        if (!x.responseToClient || x.pendingHead != null) {
            // Nothing but interim answers reached the client, so another backend may take the request, even when
            // this one had begun to answer: a 502 or 503 being read away for a retry (a backend shutting down answers
            // 503 and closes), whose retry was decided and counted then. A final head is relayed as soon as it is
            // parsed (event streams), so once one is, the client's answer is this backend's.
            x.pendingHead = null;
            x.dropGzip();
            x.chunkedToClient = false;
            Decision.Forward next;
            if (x.discarding) { // a 502 or 503 being read away for a retry already decided and counted
                next = x.retryAfterDiscard;
                x.discarding = false;
                x.retryAfterDiscard = null;
            } else {
                next = x.router.retry(forward, x.method, neverSent, !x.requestBodyStarted);
            }
            if (next != null) {
                x.responseToClient = false;
                send(x, next);
                return;
            }
            LocalAnswers.refuse(x, forward.routeId(), ErrorResponse.UPSTREAM_UNREACHABLE, "backend "
                    + x.upstreamAddress() + " failed: " + failure.getMessage());
            x.router.record(forward.route(), x.method, 502, x.startNanos);
            return;
        }
        // as the servlet engine: counted with the status sent
        x.router.record(forward.route(), x.method, x.statusSent, x.startNanos);
        x.end();
        x.client.close(); // part of the response went out: the client must see it cut
    }

    /** The backend stayed silent past the route's response timeout. */
    static void timedOut(Exchange x) {
        if (x.finished) {
            return;
        }
        Decision.Forward forward = x.forward;
        UpstreamConnection u = detach(x);
        x.router.failed(forward.endpoint());
        if (x.backendMetrics != null) {
            x.backendMetrics.failed(true);
        }
        if (u != null) {
            u.close();
        }
        if (!x.responseToClient || x.pendingHead != null) {
            LocalAnswers.refuse(x, forward.routeId(), ErrorResponse.UPSTREAM_TIMEOUT, "backend " + x.upstreamAddress()
                    + " did not respond within " + forward.route().responseTimeoutMs() + " ms");
            x.router.record(forward.route(), x.method, 504, x.startNanos);
            return;
        }
        x.router.record(forward.route(), x.method, x.statusSent, x.startNanos);
        x.end();
        x.client.close();
    }
}
