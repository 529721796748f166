package io.zkgate.gateway.balancer;

import io.zkgate.schema.Policy;
import io.zkgate.schema.Route;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Builds the balancer a route's {@code lb} block asks for, when the route's policy or routable endpoints change (an
 * unchanged route keeps its balancer across snapshots). Round-robin counters start at a random position (as Envoy's
 * do): a service's routes all get new balancers when its endpoints change, and starting each at the first endpoint
 * would hand the first endpoint in id order an extra request per change, on every gateway at the same moment.
 * Stateless.
 */
public final class Balancers {
    private Balancers() {}

    /**
     * @param lb        the route's load-balancing block, null for round-robin
     * @param endpoints routable endpoints (weight &gt; 0), sorted; the array is owned by the balancer afterwards
     */
    public static Balancer create(Route.LoadBalancing lb, Endpoint[] endpoints) {
        return create(lb, endpoints, null);
    }

    /**
     * @param previous the balancer these endpoints replace, or null: a consistent-hash ring keeps its points of
     *                 the endpoints still there rather than hashing and sorting them again
     */
    public static Balancer create(Route.LoadBalancing lb, Endpoint[] endpoints, Balancer previous) {
        Policy policy = lb == null || lb.policy() == null ? Policy.ROUND_ROBIN : lb.policy();
        return switch (policy) {
            case ROUND_ROBIN -> new RoundRobin(endpoints, randomStart());
            case WEIGHTED_ROUND_ROBIN -> new WeightedRoundRobin(endpoints, randomStart());
            case CONSISTENT_HASH -> new ConsistentHash(endpoints, lb.boundedLoad(), randomStart(),
                    previous instanceof ConsistentHash ring ? ring : null);
            case RANDOM -> new RandomChoice(endpoints);
            case LEAST_REQUEST -> new LeastRequest(endpoints);
        };
    }

    private static int randomStart() {
        return ThreadLocalRandom.current().nextInt();
    }
}
