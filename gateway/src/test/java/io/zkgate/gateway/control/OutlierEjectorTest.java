package io.zkgate.gateway.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.gateway.balancer.Endpoint;
import io.zkgate.gateway.routing.ServicePool;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class OutlierEjectorTest {
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
    private final OutlierEjector ejector = new OutlierEjector(new OutlierSettings(5, 1_000, 5_000, 50, 50));

    @Test
    void eachEjectionOfTheSameBackendLastsTwiceAsLongUpToTheMaximum() {
        ServicePool pool = pool(4);
        Endpoint e = pool.all().get(0);
        long now = 0;
        long[] lengths = new long[5];
        for (int i = 0; i < lengths.length; i++) {
            lengths[i] = ejector.eject(e, pool, now);
            now += (lengths[i] + 1) * MS;
            assertTrue(ejector.admits(e, now));
        }
        assertEquals(List.of(1_000L, 2_000L, 4_000L, 5_000L, 5_000L),
                List.of(lengths[0], lengths[1], lengths[2], lengths[3], lengths[4]));
        assertEquals(5, e.health().ejections());
    }

    @Test
    void anEjectedBackendIsNotEjectedAgainNorAdmittedBeforeItsTimeIsOver() {
        ServicePool pool = pool(4);
        Endpoint e = pool.all().get(0);
        assertEquals(1_000, ejector.eject(e, pool, 0));

        assertEquals(-1, ejector.eject(e, pool, 10 * MS));
        assertFalse(ejector.admits(e, 999 * MS));
        assertTrue(e.health().inEjection());
        assertTrue(ejector.admits(e, 1_001 * MS));
        assertFalse(e.health().inEjection(), "re-admitted");
    }

    @Test
    void noMoreThanTheMaxEjectionPercentOfAServicesEligibleBackendsAreEjectedAtOnce() {
        ServicePool pool = pool(4);
        List<Endpoint> all = pool.all();
        assertEquals(1_000, ejector.eject(all.get(0), pool, 0));
        assertEquals(1_000, ejector.eject(all.get(1), pool, 0));
        assertEquals(-1, ejector.eject(all.get(2), pool, 0), "a third of four would pass 50%");
        assertFalse(all.get(2).health().reportCapped(), "the cap was reported once for this streak");
        assertEquals(1_000, ejector.eject(all.get(2), pool, 1_001 * MS), "the first two are back by then");
    }

    @Test
    void drainedBackendsDoNotCountTowardTheCap() {
        Endpoint a = new Endpoint("svc", "a", "127.0.0.1", 9001, 1);
        Endpoint b = new Endpoint("svc", "b", "127.0.0.1", 9002, 1);
        Endpoint drained = new Endpoint("svc", "c", "127.0.0.1", 9003, 0);
        ServicePool pool = new ServicePool("svc", List.of(a, b, drained), new Endpoint[] {a, b}, false);

        assertEquals(1_000, ejector.eject(a, pool, 0));
        assertEquals(-1, ejector.eject(b, pool, 0), "two of two eligible would be all of them");
    }

    private static ServicePool pool(int n) {
        Endpoint[] e = new Endpoint[n];
        for (int i = 0; i < n; i++) {
            e[i] = new Endpoint("svc", "e" + i, "127.0.0.1", 9001 + i, 1);
        }
        return new ServicePool("svc", List.of(e), e, false);
    }
}
