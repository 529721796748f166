package io.zkgate.gateway.balancer;

import static io.zkgate.gateway.balancer.Endpoints.ids;
import static io.zkgate.gateway.balancer.Endpoints.named;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RoundRobinTest {

    @Test
    void roundRobinPicksEndpointsInIdOrderOverAndOver() {
        Endpoint[] e = named(1, 1, 1);
        Balancer rr = new RoundRobin(e);
        assertEquals("a,b,c,a,b,c,a", ids(picks(rr, 7)));
    }

    @Test
    void roundRobinIgnoresWeightsAndKeys() {
        Balancer rr = new RoundRobin(named(5, 1));
        assertEquals("a", rr.pick("k").id());
        assertEquals("b", rr.pick("k").id());
    }

    @Test
    void anEmptySetPicksNothing() {
        assertNull(new RoundRobin(new Endpoint[0]).pick(null));
        assertNull(new WeightedRoundRobin(new Endpoint[0]).pick(null));
    }

    @Test
    void weights511GiveNginxSmoothOrderAabacaa() {
        // nginx (ngx_http_upstream_get_peer) with a=5, b=1, c=1, current weights step by step:
        // (5,1,1)->a (-2,1,1); (3,2,2)->a (-4,2,2); (1,3,3)->b (1,-4,3); (6,-3,4)->a (-1,-3,4);
        // (4,-2,5)->c (4,-2,-2); (9,-1,-1)->a (2,-1,-1); (7,0,0)->a (0,0,0): back to the start.
        Balancer wrr = new WeightedRoundRobin(named(5, 1, 1));
        assertEquals("a,a,b,a,c,a,a,a,a,b,a,c,a,a", ids(picks(wrr, 14)));
    }

    @Test
    void smoothOrderNeverBurstsTheHeaviestAndInterleavesLighterOnes() {
        // nginx with a=4, b=2, c=3 (total 9), by hand: (4,2,3)->a; (-1,4,6)->c; (3,6,0)->b; (7,-1,3)->a;
        // (2,1,6)->c; (6,3,0)->a; (1,5,3)->b; (5,-2,6)->c; (9,0,0)->a, leaving (0,0,0).
        Endpoint[] seq = new WeightedRoundRobin(named(4, 2, 3)).sequence();
        assertEquals("a,c,b,a,c,a,b,c,a", ids(seq));
    }

    @Test
    void equalWeightsMakeWeightedRoundRobinPlainRoundRobin() {
        Balancer wrr = new WeightedRoundRobin(named(7, 7, 7));
        assertEquals("a,b,c,a,b,c", ids(picks(wrr, 6)));
    }

    @Test
    void weightedSharesAreWithinOnePercentOfWeightsOver100000Picks() {
        Endpoint[] e = named(1, 2, 3, 10);
        assertShares(new WeightedRoundRobin(e), e, 100_000, 0.01);
    }

    @Test
    void hugeWeightsAreScaledToABoundedPeriodKeepingSharesWithinATenthOfAPercent() {
        Endpoint[] e = named(10_000, 9_999, 1, 3_333);
        Endpoint[] seq = new WeightedRoundRobin(e).sequence();
        assertTrue(seq.length <= WeightedRoundRobin.MAX_PERIOD + e.length, "period " + seq.length);
        Map<String, Integer> counts = count(seq);
        int total = 10_000 + 9_999 + 1 + 3_333;
        for (Endpoint x : e) {
            double share = counts.getOrDefault(x.id(), 0) / (double) seq.length;
            assertEquals(x.weight() / (double) total, share, 0.001, x.id());
        }
        assertTrue(counts.get("c") >= 1, "the lightest endpoint keeps at least one slot");
    }

    @Test
    void weightsAreReducedByTheirGreatestCommonDivisor() {
        assertEquals(7, new WeightedRoundRobin(named(500, 100, 100)).sequence().length);
        assertEquals("a,a,b,a,c,a,a", ids(new WeightedRoundRobin(named(500, 100, 100)).sequence()));
    }

    @Test
    void countersWrapPastIntegerMaxValueWithoutFailingOrLeavingTheSet() {
        // 4 divides 2^32: the order continues exactly across the wrap.
        Endpoint[] four = named(1, 1, 1, 1);
        RoundRobin rr = new RoundRobin(four, Integer.MAX_VALUE - 2);
        assertEquals("b,c,d,a,b,c,d,a", ids(picks(rr, 8)), "MAX-2 = 4k+1: starts at b, wraps to MIN = 4k: a");

        // 3 does not divide 2^32: at the wrap one slot repeats, but every pick is in range and then cycles again.
        Endpoint[] three = named(1, 1, 1);
        RoundRobin rr3 = new RoundRobin(three, Integer.MAX_VALUE - 1);
        Endpoint[] p = picks(rr3, 8);
        assertEquals(Math.floorMod(Integer.MAX_VALUE - 1, 3), indexOf(three, p[0]));
        assertEquals(Math.floorMod(Integer.MIN_VALUE, 3), indexOf(three, p[2]));
        for (int i = 3; i < p.length; i++) {
            assertEquals((indexOf(three, p[i - 1]) + 1) % 3, indexOf(three, p[i]), "cycles after the wrap");
        }

        WeightedRoundRobin wrr = new WeightedRoundRobin(named(5, 1, 1), Integer.MAX_VALUE - 3);
        Endpoint[] w = picks(wrr, 20);
        for (Endpoint x : w) {
            assertTrue(Arrays.asList(wrr.endpoints()).contains(x));
        }
        // 2^31 % 7 = 2: MIN_VALUE lands on slot floorMod(MIN_VALUE, 7) = 5 ("a"), then the period continues.
        assertEquals("a", w[4].id());
        assertEquals("a,a,a,a,b,a,c,a", ids(Arrays.copyOfRange(w, 4, 12)), "slots 5,6,0,1,2,3,4,5");
    }

    static Endpoint[] picks(Balancer b, int n) {
        Endpoint[] p = new Endpoint[n];
        for (int i = 0; i < n; i++) {
            p[i] = b.pick(null);
        }
        return p;
    }

    static void assertShares(Balancer b, Endpoint[] endpoints, int picks, double tolerance) {
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < picks; i++) {
            counts.merge(b.pick(null).id(), 1, Integer::sum);
        }
        int total = 0;
        for (Endpoint e : endpoints) {
            total += e.weight();
        }
        for (Endpoint e : endpoints) {
            double share = counts.getOrDefault(e.id(), 0) / (double) picks;
            assertEquals(e.weight() / (double) total, share, tolerance, e.id() + " share, counts " + counts);
        }
    }

    private static Map<String, Integer> count(Endpoint[] seq) {
        Map<String, Integer> counts = new HashMap<>();
        for (Endpoint e : seq) {
            counts.merge(e.id(), 1, Integer::sum);
        }
        return counts;
    }

    private static int indexOf(Endpoint[] set, Endpoint e) {
        for (int i = 0; i < set.length; i++) {
            if (set[i] == e) {
                return i;
            }
        }
        return -1;
    }
}
