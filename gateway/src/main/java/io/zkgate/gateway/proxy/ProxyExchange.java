package io.zkgate.gateway.proxy;

import io.zkgate.gateway.balancer.Endpoint;
import io.zkgate.gateway.metrics.BackendMetrics;
import io.zkgate.gateway.routing.RouteEntry;
import io.zkgate.gateway.scripting.ScriptExchange;

/**
 * One proxied request's routing decision and timings, carried from {@code rewriteTarget} to the completion hooks
 * (and the access log) as a request attribute. Confined to the request: its hooks run one after another.
 */
public final class ProxyExchange {
    public static final String ATTRIBUTE = ProxyExchange.class.getName();

    final RouteEntry route;
    final Endpoint endpoint;
    final ErrorResponse error;
    /** The route's Lua filter run for this request, or null. */
    final ScriptExchange script;
    final long startNanos;
    BackendMetrics backend;
    long upstreamStartNanos;
    long upstreamNanos = -1;
    boolean acquired;
    /** The key the balancer picked with; a retry picks with it again. */
    String hashKey;
    /** 0 for the first attempt. */
    int attempt;
    /** The attempt before this one, or null. */
    ProxyExchange previous;
    /** The request body when it was read whole so that a retry can send it again, else null. */
    byte[] body;

    private ProxyExchange(RouteEntry route, Endpoint endpoint, ErrorResponse error, ScriptExchange script,
            long startNanos) {
        this.route = route;
        this.endpoint = endpoint;
        this.error = error;
        this.script = script;
        this.startNanos = startNanos;
    }

    /** Proxied to {@code endpoint} after the route's script ran ({@code script} may be null). */
    static ProxyExchange to(RouteEntry route, Endpoint endpoint, ScriptExchange script, long startNanos) {
        return new ProxyExchange(route, endpoint, null, script, startNanos);
    }

    static ProxyExchange failed(RouteEntry route, ErrorResponse error, long startNanos) {
        return new ProxyExchange(route, null, error, null, startNanos);
    }

    /** Answered by the route's script, or failed in it: no backend. */
    static ProxyExchange scripted(RouteEntry route, ScriptExchange script, long startNanos) {
        return new ProxyExchange(route, null, script.failed() ? ErrorResponse.SCRIPT_ERROR : null, script, startNanos);
    }

    /** The next attempt of this exchange, to another backend. */
    ProxyExchange retryTo(Endpoint next) {
        ProxyExchange r = new ProxyExchange(route, next, null, script, startNanos);
        r.hashKey = hashKey;
        r.attempt = attempt + 1;
        r.previous = this;
        r.body = body;
        return r;
    }

    /** Whether an attempt of this exchange already went to that backend. */
    boolean tried(Endpoint candidate) {
        for (ProxyExchange e = this; e != null; e = e.previous) {
            if (e.endpoint != null && e.endpoint.sameBackend(candidate)) {
                return true;
            }
        }
        return false;
    }

    /** The route id, or null when no route matched. */
    public String routeId() {
        return route == null ? null : route.id();
    }

    /** {@code host:port} of the backend the request went to, or null. */
    public String upstreamAddress() {
        return endpoint == null ? null : endpoint.host() + ":" + endpoint.port();
    }

    /** Nanoseconds from sending upstream to the end of the upstream exchange, or -1 if it never completed. */
    public long upstreamNanos() {
        return upstreamNanos;
    }

    /** Decrements the endpoint's in-flight count once, whatever way the exchange ended, and stops its clock. */
    void release(long now) {
        if (acquired) {
            acquired = false;
            endpoint.release();
            upstreamNanos = now - upstreamStartNanos;
        }
    }
}
