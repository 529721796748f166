package io.zkgate.gateway.proxy;

import io.zkgate.gateway.balancer.Endpoint;
import io.zkgate.gateway.metrics.BackendMetrics;
import io.zkgate.gateway.routing.RouteEntry;

/**
 * One proxied request's routing decision and timings, carried from {@code rewriteTarget} to the completion hooks
 * (and the access log) as a request attribute. Confined to the request: its hooks run one after another.
 */
public final class ProxyExchange {
    public static final String ATTRIBUTE = ProxyExchange.class.getName();

    final RouteEntry route;
    final Endpoint endpoint;
    final ErrorResponse error;
    final long startNanos;
    BackendMetrics backend;
    long upstreamStartNanos;
    long upstreamNanos = -1;
    boolean acquired;

    private ProxyExchange(RouteEntry route, Endpoint endpoint, ErrorResponse error, long startNanos) {
        this.route = route;
        this.endpoint = endpoint;
        this.error = error;
        this.startNanos = startNanos;
    }

    static ProxyExchange to(RouteEntry route, Endpoint endpoint, long startNanos) {
        return new ProxyExchange(route, endpoint, null, startNanos);
    }

    static ProxyExchange failed(RouteEntry route, ErrorResponse error, long startNanos) {
        return new ProxyExchange(route, null, error, startNanos);
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
