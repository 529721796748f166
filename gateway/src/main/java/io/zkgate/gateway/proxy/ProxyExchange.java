package io.zkgate.gateway.proxy;

import io.zkgate.gateway.balancer.Endpoint;
import io.zkgate.gateway.routing.RouteEntry;
import io.zkgate.gateway.scripting.ScriptExchange;

/**
 * One proxied request's routing decision, carried from {@code rewriteTarget} to the completion hooks as a request
 * attribute. Confined to the request (its hooks run one after another).
 */
final class ProxyExchange {
    static final String ATTRIBUTE = ProxyExchange.class.getName();

    final RouteEntry route;
    final Endpoint endpoint;
    final ErrorResponse error;
    /** The route's Lua filter run for this request, or null. */
    final ScriptExchange script;
    boolean acquired;

    private ProxyExchange(RouteEntry route, Endpoint endpoint, ErrorResponse error) {
        this(route, endpoint, error, null);
    }

    private ProxyExchange(RouteEntry route, Endpoint endpoint, ErrorResponse error, ScriptExchange script) {
        this.route = route;
        this.endpoint = endpoint;
        this.error = error;
        this.script = script;
    }

    static ProxyExchange to(RouteEntry route, Endpoint endpoint) {
        return new ProxyExchange(route, endpoint, null);
    }

    static ProxyExchange failed(RouteEntry route, ErrorResponse error) {
        return new ProxyExchange(route, null, error);
    }

    /** Proxied to {@code endpoint} after the route's script ran ({@code script} may be null). */
    static ProxyExchange to(RouteEntry route, Endpoint endpoint, ScriptExchange script) {
        return new ProxyExchange(route, endpoint, null, script);
    }

    /** Answered by the route's script, or failed in it: no backend. */
    static ProxyExchange scripted(RouteEntry route, ScriptExchange script) {
        return new ProxyExchange(route, null, script.failed() ? ErrorResponse.SCRIPT_ERROR : null, script);
    }

    /** Decrements the endpoint's in-flight count once, whatever way the exchange ended. */
    void release() {
        if (acquired) {
            acquired = false;
            endpoint.release();
        }
    }
}
