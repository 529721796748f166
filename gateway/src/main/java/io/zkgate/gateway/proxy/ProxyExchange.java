package io.zkgate.gateway.proxy;

import io.zkgate.gateway.balancer.Endpoint;
import io.zkgate.gateway.metrics.BackendMetrics;
import io.zkgate.gateway.routing.Decision;
import io.zkgate.gateway.routing.HeaderEdits;
import io.zkgate.gateway.routing.RouteEntry;
import io.zkgate.gateway.scripting.ScriptExchange;
import jakarta.servlet.http.HttpServletRequest;

/**
 * One proxied request's routing decision (this attempt's, for a forward) and timings, carried from
 * {@code rewriteTarget} to the completion hooks and the access log as a request attribute.
 * Confined to the request: its hooks run one after another.
 */
final class ProxyExchange implements AccessLog.Entry {
    static final String ATTRIBUTE = AccessLog.ENTRY;

    final Decision decision;
    final long startNanos;
    /** The client's address through the trusted proxies. */
    final String clientIp;
    /** Whether the decision's response headers are on the client's response already. */
    boolean responseEdited;
    /** The backend's metrics while a forward is under way, or null (metrics off, or not forwarded). */
    BackendMetrics backendMetrics;
    long upstreamStartNanos;
    long upstreamNanos = -1;
    boolean acquired;
    /** The client went away (a write to it failed, or its body broke off): what fails next is not the backend's. */
    volatile boolean clientGone;
    /** The request body when it was read whole so that a retry can send it again, else null. */
    byte[] body;
    /** A pooled connection this attempt's backend had closed was met, and the request sent again on a new one. */
    boolean staleResent;
    /** This attempt goes out on a new connection of its own, not a pooled one. */
    boolean onNewConnection;

    ProxyExchange(Decision decision, long startNanos, String clientIp) {
        this.decision = decision;
        this.startNanos = startNanos;
        this.clientIp = clientIp;
    }

    /** The request's current exchange, or null when the servlet did not route it. */
    static ProxyExchange of(HttpServletRequest request) {
        return (ProxyExchange) request.getAttribute(ATTRIBUTE);
    }

    /** The request's exchange with its backend's in-flight count released and its clock stopped, or null. */
    static ProxyExchange released(HttpServletRequest request) {
        ProxyExchange exchange = of(request);
        if (exchange != null) {
            exchange.release(System.nanoTime());
        }
        return exchange;
    }

    /** The client went away: what fails next is the client's doing, not the backend's. */
    static void clientGone(HttpServletRequest request) {
        ProxyExchange exchange = of(request);
        if (exchange != null) {
            exchange.clientGone = true;
        }
    }

    RouteEntry route() {
        return decision.route();
    }

    /** This attempt when the request is forwarded, else null. */
    Decision.Forward forward() {
        return decision instanceof Decision.Forward f ? f : null;
    }

    Endpoint endpoint() {
        return decision instanceof Decision.Forward f ? f.endpoint() : null;
    }

    /** The route's script run for this request, or null. */
    ScriptExchange script() {
        return decision instanceof Decision.Forward f ? f.script()
                : decision instanceof Decision.Answer a ? a.script() : null;
    }

    /** The next attempt of this request: on another backend, which may meet a pooled connection it closed too. */
    ProxyExchange retryTo(Decision.Forward next) {
        ProxyExchange r = new ProxyExchange(next, startNanos, clientIp);
        r.body = body;
        return r;
    }

    /** The same attempt again on a new connection, after the pooled one it went out on turned out closed. */
    ProxyExchange resentOnNewConnection() {
        ProxyExchange r = retryTo(forward());
        r.staleResent = true;
        r.onNewConnection = true;
        return r;
    }

    @Override
    public String routeId() {
        return decision.routeId();
    }

    @Override
    public String upstreamAddress() {
        Decision.Forward forward = forward();
        return forward == null ? null : forward.upstreamAuthority();
    }

    @Override
    public long upstreamNanos() {
        return upstreamNanos;
    }

    @Override
    public String clientIp() {
        return clientIp;
    }

    @Override
    public HeaderEdits ids() {
        return decision.headers();
    }

    /** The request goes to this attempt's backend now: it counts as in flight there and as picked in its metrics. */
    void sending(BackendMetrics metrics, long now) {
        backendMetrics = metrics;
        if (metrics != null) {
            metrics.picked();
        }
        endpoint().acquire();
        acquired = true;
        upstreamStartNanos = now;
    }

    /** The backend answered (whatever the status): its response time goes to its metrics. */
    void responded() {
        if (backendMetrics != null) {
            backendMetrics.responded(upstreamNanos);
        }
    }

    /** The backend failed (timed out, or any other way): counted in its metrics. */
    void failed(boolean timeout) {
        if (backendMetrics != null) {
            backendMetrics.failed(timeout);
        }
    }

    /** Decrements the endpoint's in-flight count once, whatever way the exchange ended, and stops its clock. */
    void release(long now) {
        if (acquired) {
            acquired = false;
            endpoint().release();
            upstreamNanos = now - upstreamStartNanos;
        }
    }
}
