package io.zkgate.gateway.balancer;

import io.zkgate.schema.Route;

/** Builds the balancer a route's {@code lb} block asks for, once per snapshot. Stateless. */
public final class Balancers {
    private Balancers() {}

    /**
     * @param lb        the route's load-balancing block, null for round-robin
     * @param endpoints routable endpoints (weight &gt; 0), sorted; the array is owned by the balancer afterwards
     */
    public static Balancer create(Route.LoadBalancing lb, Endpoint[] endpoints) {
        // Policies beyond round-robin are filled in by the balancer work; until then they round-robin.
        return new RoundRobin(endpoints);
    }
}
