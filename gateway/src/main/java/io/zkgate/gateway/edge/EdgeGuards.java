package io.zkgate.gateway.edge;

import io.zkgate.gateway.metrics.GatewayMetrics;
import io.zkgate.gateway.routing.RouteGuard;
import io.zkgate.schema.Route;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds a route's edge guards, once per route version, in the order {@link RouteGuard} fixes: CORS first (a
 * preflight carries no credentials and is answered before anything asks for them), then IP rules. Stateless.
 */
public final class EdgeGuards {
    private EdgeGuards() {}

    /**
     * @param metrics where refusals are counted ({@code zkgate_route_refusals_total{route,reason}}), or null
     * @return the route's CORS and IP-rules guards, in order; empty when it has neither
     */
    public static List<RouteGuard> of(Route route, GatewayMetrics metrics) {
        if (route.cors() == null && route.ipRules() == null) {
            return List.of();
        }
        List<RouteGuard> guards = new ArrayList<>(2);
        if (route.cors() != null) {
            guards.add(new CorsGuard(route, metrics == null ? null : metrics.refusals(route.id(), "cors_origin")));
        }
        if (route.ipRules() != null) {
            guards.add(new IpRulesGuard(route.ipRules(),
                    metrics == null ? null : metrics.refusals(route.id(), "ip_rules")));
        }
        return guards;
    }
}
