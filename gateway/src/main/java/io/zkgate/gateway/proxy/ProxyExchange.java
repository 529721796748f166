package io.zkgate.gateway.proxy;

import io.zkgate.gateway.balancer.Endpoint;
import io.zkgate.gateway.routing.RouteEntry;

/**
 * One proxied request's routing decision, carried from {@code rewriteTarget} to the completion hooks as a request
 * attribute. Confined to the request (its hooks run one after another).
 */
final class ProxyExchange {
    static final String ATTRIBUTE = ProxyExchange.class.getName();

    final RouteEntry route;
    final Endpoint endpoint;
    final ErrorResponse error;
    boolean acquired;

    private ProxyExchange(RouteEntry route, Endpoint endpoint, ErrorResponse error) {
        this.route = route;
        this.endpoint = endpoint;
        this.error = error;
    }

    static ProxyExchange to(RouteEntry route, Endpoint endpoint) {
        return new ProxyExchange(route, endpoint, null);
    }

    static ProxyExchange failed(RouteEntry route, ErrorResponse error) {
        return new ProxyExchange(route, null, error);
    }

    /** Decrements the endpoint's in-flight count once, whatever way the exchange ended. */
    void release() {
        if (acquired) {
            acquired = false;
            endpoint.release();
        }
    }
}
