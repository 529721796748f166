package io.zkgate.gateway.balancer;

import static io.zkgate.gateway.balancer.Endpoints.named;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LeastRequestTest {

    @Test
    void ofTwoCandidatesTheMoreLoadedIsNeverChosen() {
        for (int la = 0; la < 6; la++) {
            for (int lb = 0; lb < 6; lb++) {
                Endpoint[] e = named(1, 1);
                load(e[0], la);
                load(e[1], lb);
                Endpoint chosen = LeastRequest.lessLoaded(e[0], e[1]);
                Endpoint other = chosen == e[0] ? e[1] : e[0];
                assertTrue(chosen.inFlight() <= other.inFlight(), la + " vs " + lb);
                if (la != lb) {
                    assertSame(chosen, LeastRequest.lessLoaded(e[1], e[0]), "the order of the draw does not matter");
                } else {
                    assertSame(e[0], chosen, "on a tie the first draw wins");
                }
            }
        }
    }

    @Test
    void withTwoEndpointsEveryPickGoesToTheLessLoaded() {
        Endpoint[] e = named(1, 1);
        load(e[0], 5);
        load(e[1], 3);
        Balancer lr = new LeastRequest(e);
        for (int i = 0; i < 10_000; i++) {
            assertSame(e[1], lr.pick(null));
        }
    }

    @Test
    void theMostLoadedEndpointIsNeverPickedAndAllOthersAre() {
        Endpoint[] e = named(1, 1, 1, 1, 1, 1, 1, 1, 1, 1);
        for (int i = 0; i < e.length; i++) {
            load(e[i], i);
        }
        Balancer lr = new LeastRequest(e);
        Set<Endpoint> seen = new HashSet<>();
        for (int i = 0; i < 100_000; i++) {
            Endpoint p = lr.pick(null);
            assertNotSame(e[9], p);
            seen.add(p);
        }
        assertTrue(seen.size() == 9, "every endpoint but the most loaded wins some pair: " + seen.size());
    }

    @Test
    void loadIsComparedPerWeightSoAnIdleHeavyEndpointBeatsAnIdleLightOne() {
        Endpoint[] e = named(1, 3);
        assertSame(e[1], LeastRequest.lessLoaded(e[0], e[1]));
        assertSame(e[1], LeastRequest.lessLoaded(e[1], e[0]));
        load(e[1], 2); // (2 + 1) / 3 = 1 against (0 + 1) / 1 = 1: a tie, the first candidate wins
        assertSame(e[0], LeastRequest.lessLoaded(e[0], e[1]));
        assertSame(e[1], LeastRequest.lessLoaded(e[1], e[0]));
        load(e[1], 1); // 4 / 3 > 1
        assertSame(e[0], LeastRequest.lessLoaded(e[1], e[0]));
    }

    @Test
    void anEmptySetPicksNothing() {
        assertNull(new LeastRequest(new Endpoint[0]).pick(null));
    }

    @Test
    void aSingleEndpointIsAlwaysPicked() {
        Endpoint[] one = named(1);
        assertSame(one[0], new LeastRequest(one).pick(null));
    }

    private static void load(Endpoint e, int n) {
        for (int i = 0; i < n; i++) {
            e.acquire();
        }
    }
}
