package io.zkgate.gateway.proxy;

import io.zkgate.gateway.balancer.Endpoint;
import io.zkgate.gateway.metrics.BackendMetrics;
import io.zkgate.gateway.routing.Decision;
import io.zkgate.gateway.routing.HeaderEdits;
import io.zkgate.gateway.routing.RouteEntry;
import io.zkgate.gateway.scripting.ScriptExchange;

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
    /** The client went away (a write to it failed, or its request body broke off): a failure that follows is not the backend's. */
    volatile boolean clientGone;
    /** The request body when it was read whole so that a retry can send it again, else null. */
    byte[] body;

    ProxyExchange(Decision decision, long startNanos, String clientIp) {
        this.decision = decision;
        this.startNanos = startNanos;
        this.clientIp = clientIp;
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

    /** The next attempt of this request. */
    ProxyExchange retryTo(Decision.Forward next) {
        ProxyExchange r = new ProxyExchange(next, startNanos, clientIp);
        r.body = body;
        return r;
    }

    @Override
    public String routeId() {
        return decision.routeId();
    }

    @Override
    public String upstreamAddress() {
        Endpoint endpoint = endpoint();
        return endpoint == null ? null
                : endpoint.host() + ":" + (route().upstreamTls() ? endpoint.tlsPort() : endpoint.port());
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

    /** Decrements the endpoint's in-flight count once, whatever way the exchange ended, and stops its clock. */
    void release(long now) {
        if (acquired) {
            acquired = false;
            endpoint().release();
            upstreamNanos = now - upstreamStartNanos;
        }
    }
}
