package io.zkgate.gateway.balancer;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.schema.HashKey;
import io.zkgate.schema.Policy;
import io.zkgate.schema.Route;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BalancersTest {

    @Test
    void aRouteWithoutAnLbPolicyIsRoundRobin() {
        Endpoint[] e = Endpoints.named(1, 2);
        assertInstanceOf(RoundRobin.class, Balancers.create(null, e));
        assertInstanceOf(RoundRobin.class, Balancers.create(new Route.LoadBalancing(null, null, null), e));
    }

    @Test
    void eachPolicyBuildsItsBalancer() {
        Endpoint[] e = Endpoints.named(1, 2);
        assertInstanceOf(RoundRobin.class, Balancers.create(lb(Policy.ROUND_ROBIN), e));
        assertInstanceOf(WeightedRoundRobin.class, Balancers.create(lb(Policy.WEIGHTED_ROUND_ROBIN), e));
        assertInstanceOf(ConsistentHash.class, Balancers.create(lb(Policy.CONSISTENT_HASH), e));
        assertInstanceOf(RandomChoice.class, Balancers.create(lb(Policy.RANDOM), e));
        assertInstanceOf(LeastRequest.class, Balancers.create(lb(Policy.LEAST_REQUEST), e));
    }

    @Test
    void everyPolicyOverAnEmptySetPicksNothingAndKeepsTheArrayItWasGiven() {
        for (Policy p : Policy.values()) {
            Endpoint[] none = new Endpoint[0];
            Balancer b = Balancers.create(new Route.LoadBalancing(p, HashKey.parse("path"), 1.25), none);
            assertNull(b.pick(null), p.wireName());
            assertNull(b.pick("key"), p.wireName());
            assertSame(none, b.endpoints());
        }
    }

    @Test
    void roundRobinCountersOfRebuiltBalancersStartAtRandomPositionsNotAlwaysAtTheFirstEndpoint() {
        Endpoint[] e = Endpoints.uuids(10);
        for (Policy p : new Policy[] {Policy.ROUND_ROBIN, Policy.WEIGHTED_ROUND_ROBIN, Policy.CONSISTENT_HASH}) {
            Set<Endpoint> firstPicks = new HashSet<>();
            for (int i = 0; i < 20; i++) {
                firstPicks.add(Balancers.create(lb(p), e).pick(null));
            }
            assertTrue(firstPicks.size() > 1, p.wireName() + ": 20 rebuilds all started at " + firstPicks);
        }
    }

    private static Route.LoadBalancing lb(Policy p) {
        return new Route.LoadBalancing(p, null, null);
    }
}
