package io.zkgate.gateway.routing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.gateway.balancer.Balancers;
import io.zkgate.gateway.balancer.Endpoint;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RouteSplitTest {

    private static RouteSplit.Side side(String service, int weight, int instances) {
        Endpoint[] endpoints = new Endpoint[instances];
        for (int i = 0; i < instances; i++) {
            endpoints[i] = new Endpoint(service, service + "-" + i, "127.0.0.1", 9000 + i, 1);
        }
        return new RouteSplit.Side(service, weight, Balancers.create(null, endpoints), null);
    }

    @Test
    void theSideSequenceIsSmoothAndExactOverOnePeriod() {
        assertArrayEquals(new int[] {1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
                RouteSplit.smoothSequence(new int[] {5, 95}));
        assertArrayEquals(new int[] {1}, RouteSplit.smoothSequence(new int[] {0, 3}));
        assertEquals(0, RouteSplit.smoothSequence(new int[] {0, 0}).length);
        int[] scaled = RouteSplit.smoothSequence(new int[] {9_999, 1, 10_000});
        assertTrue(scaled.length <= RouteSplit.MAX_PERIOD + 3, "period " + scaled.length);
    }

    @Test
    void aKeyStaysOnItsSideAndOnlyTheKeysOfAnEmptiedSideMove() {
        RouteSplit full = new RouteSplit(List.of(side("a", 30, 2), side("b", 70, 2)), 0);
        RouteSplit bEmpty = new RouteSplit(List.of(side("a", 30, 2), side("b", 70, 0)), 0);
        RouteSplit aEmpty = new RouteSplit(List.of(side("a", 30, 0), side("b", 70, 2)), 0);
        Map<Integer, Integer> counts = new HashMap<>();
        for (int u = 0; u < 10_000; u++) {
            String key = "user-" + u;
            int s = full.side(key);
            counts.merge(s, 1, Integer::sum);
            assertEquals(s, full.side(key), "the same key, the same side");
            assertEquals(0, bEmpty.side(key), "everyone on the side left");
            if (s == 1) {
                assertEquals(1, aEmpty.side(key), key + " was on b and stays there when a empties");
            }
        }
        assertEquals(30.0, counts.get(0) / 100.0, 2.0, counts.toString());
        assertEquals(1.0, bEmpty.share(0));
        assertEquals(0.0, bEmpty.share(1));
        assertTrue(bEmpty.sides().get(1).emptied());
    }

    @Test
    void aRetryLooksOnTheOtherSideOnceItsOwnIsExhausted() {
        RouteSplit split = new RouteSplit(List.of(side("a", 1, 1), side("b", 1, 1)), 0);
        Endpoint first = split.pick("k");
        Endpoint other = split.pickOther("k", e -> e == first);
        assertTrue(other != null && !other.service().equals(first.service()), first + " then " + other);
        assertNull(split.pickOther("k", e -> true));
    }

    @Test
    void aSplitWithNoRoutableSidePicksNoBackend() {
        assertNull(new RouteSplit(List.of(side("a", 1, 0), side("b", 1, 0)), 0).pick(null));
        assertNull(new RouteSplit(List.of(side("a", 1, 0), side("b", 1, 0)), 0).pick("k"));
    }
}
