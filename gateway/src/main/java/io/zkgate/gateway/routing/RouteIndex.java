package io.zkgate.gateway.routing;

import io.zkgate.schema.Route;
import java.util.function.Predicate;

/**
 * The kinds of route a snapshot listener looks for after each publish. {@link RouteTable} keeps the ids of each kind
 * as the table changes, so no listener walks every route on every publish (at 10,000 routes such a walk costs more
 * than the publish itself).
 */
public enum RouteIndex {
    /** Routes with an active health check block: the health checker's targets. */
    HEALTH_CHECKED(e -> e.route().healthCheck() != null),
    /**
     * Routes the servlet front door gives an upstream client of their own: their own connect timeout, TLS to the
     * backend or HTTP/2 to the backend.
     */
    OWN_UPSTREAM_CLIENT(e -> (e.upstream() != null && e.upstream().connectTimeoutMs() >= 0) || e.upstreamTls()
            || e.route().upstreamProtocol() != Route.Upstream.Protocol.HTTP_1_1),
    /** Routes whose backends speak HTTP/2, which only the servlet front door speaks to backends. */
    UPSTREAM_HTTP2(e -> e.route().upstreamProtocol() != Route.Upstream.Protocol.HTTP_1_1),
    /** Routes that compress responses. */
    COMPRESSED(e -> e.route().compresses());

    private final Predicate<RouteEntry> member;

    RouteIndex(Predicate<RouteEntry> member) {
        this.member = member;
    }

    /** Whether route {@code e} is of this kind; a few field reads, no allocation. */
    public boolean holds(RouteEntry e) {
        return member.test(e);
    }
}
