package io.zkgate.gateway.balancer;

import io.zkgate.schema.Policy;
import io.zkgate.schema.Route;

/** Builds the balancer a route's {@code lb} block asks for, once per snapshot. Stateless. */
public final class Balancers {
    private Balancers() {}

    /**
     * @param lb        the route's load-balancing block, null for round-robin
     * @param endpoints routable endpoints (weight &gt; 0), sorted; the array is owned by the balancer afterwards
     */
    public static Balancer create(Route.LoadBalancing lb, Endpoint[] endpoints) {
        Policy policy = lb == null || lb.policy() == null ? Policy.ROUND_ROBIN : lb.policy();
        return switch (policy) {
            case ROUND_ROBIN -> new RoundRobin(endpoints);
            case WEIGHTED_ROUND_ROBIN -> new WeightedRoundRobin(endpoints);
            case CONSISTENT_HASH -> new ConsistentHash(endpoints, lb.boundedLoad());
            case RANDOM -> new RandomChoice(endpoints);
            case LEAST_REQUEST -> new LeastRequest(endpoints);
        };
    }
}
