package io.zkgate.gateway.control;

import io.zkgate.gateway.balancer.Balancer;
import io.zkgate.gateway.balancer.Balancers;
import io.zkgate.gateway.balancer.Endpoint;
import io.zkgate.gateway.metrics.GatewayMetrics;
import io.zkgate.gateway.routing.RouteMirror;
import io.zkgate.gateway.routing.RouteSplit;
import io.zkgate.gateway.routing.ServiceMap;
import io.zkgate.gateway.routing.ServicePool;
import io.zkgate.schema.Policy;
import io.zkgate.schema.Route;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * What each route's traffic is balanced over, and which balancers survive a rebuild: a route's own balancer, or one
 * per side of its split, is kept while its policy and routable endpoints stay the same ({@link BuiltBalancer}); a
 * consistent-hash ring is shared by the routes of one service with the same {@code lb}; a mirror gets a fresh
 * balancer over its service's routable instances. Not thread-safe: confined to the control thread.
 */
final class RouteBalancers {
    private final GatewayMetrics metrics;
    /** Each served route's balancer, kept while its policy and backends stay the same. */
    private final Map<String, BuiltBalancer> balancers = new HashMap<>();
    /** Each split route's side balancers by service, kept like {@link #balancers}. */
    private final Map<String, Map<String, BuiltBalancer>> sideBalancers = new HashMap<>();

    RouteBalancers(GatewayMetrics metrics) {
        this.metrics = metrics;
    }

    /**
     * The route's balancer over {@code pools}: over its service's routable instances, or a weighted split over its
     * sides' services (a service without a pool has no instance).
     *
     * @param sameService the ids of the served routes of the route's service, whose rings it may share
     */
    Balancer balancer(Route r, ServiceMap pools, Set<String> sameService) {
        if (r.backends() == null) {
            Endpoint[] routable = routable(pools, r.service());
            BuiltBalancer built = sharedRing(r, routable, sameService);
            if (built == null) {
                built = BuiltBalancer.reuseOrBuild(balancers.get(r.id()), r.lb(), routable);
            }
            balancers.put(r.id(), built);
            sideBalancers.remove(r.id());
            return built.balancer();
        }
        balancers.remove(r.id());
        Map<String, BuiltBalancer> previous = sideBalancers.getOrDefault(r.id(), Map.of());
        Map<String, BuiltBalancer> next = new HashMap<>();
        List<RouteSplit.Side> sides = new ArrayList<>();
        for (Route.Backend b : r.backends()) {
            BuiltBalancer built = BuiltBalancer.reuseOrBuild(previous.get(b.service()), r.lb(),
                    routable(pools, b.service()));
            next.put(b.service(), built);
            sides.add(new RouteSplit.Side(b.service(), b.weight(), built.balancer(),
                    metrics.splitSide(r.id(), b.service())));
        }
        sideBalancers.put(r.id(), next);
        return new RouteSplit(sides, ThreadLocalRandom.current().nextInt());
    }

    /** The route's mirror over its service's routable instances in {@code pools}, or null when it mirrors nothing. */
    RouteMirror mirror(Route r, ServiceMap pools) {
        if (r.mirror() == null) {
            return null;
        }
        return new RouteMirror(r.mirror().service(), r.mirror().percent(),
                Balancers.create(null, routable(pools, r.mirror().service()).clone()), metrics.mirror(r.id()));
    }

    /** Drops the balancers of a route no longer served; one served again under the id gets new ones. */
    void forget(String routeId) {
        balancers.remove(routeId);
        sideBalancers.remove(routeId);
    }

    private static Endpoint[] routable(ServiceMap pools, String service) {
        ServicePool pool = pools.get(service);
        return pool == null ? new Endpoint[0] : pool.routable();
    }

    /**
     * A consistent-hash balancer another route of the same service already has for the same {@code lb} and
     * endpoints, or null. A ring (about 40 KB for 10 backends) then exists once per service and policy, not once per
     * route; it picks the same backend for a key whichever route asks, so sharing it changes no route's choices.
     */
    private BuiltBalancer sharedRing(Route r, Endpoint[] routable, Set<String> sameService) {
        if (r.policy() != Policy.CONSISTENT_HASH || r.service() == null) {
            return null;
        }
        for (String other : sameService) {
            BuiltBalancer b = balancers.get(other);
            if (b != null && b.builtFrom(r.lb(), routable)) {
                return b;
            }
        }
        return null;
    }
}
