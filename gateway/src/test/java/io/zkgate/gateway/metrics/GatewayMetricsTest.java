package io.zkgate.gateway.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.gateway.balancer.Endpoint;
import java.io.IOException;
import java.io.StringWriter;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Backend metrics follow what each publish adds and drops, and a departed backend's series go after the retention. */
class GatewayMetricsTest {
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final String SERIES = "backend=\"10.0.0.1:8080\"";

    private final GatewayMetrics metrics = new GatewayMetrics(1000);
    private final Endpoint a = new Endpoint("orders", "a", "10.0.0.1", 8080, 1);

    @Test
    void anEndpointAddedByAPublishRecordsToItsBackendUntilAPublishDropsIt() throws IOException {
        assertSame(BackendMetrics.DETACHED, metrics.backend(a));
        metrics.bind(List.of(a), List.of(), 0);
        BackendMetrics m = metrics.backend(a);
        assertNotSame(BackendMetrics.DETACHED, m);
        m.picked();
        assertEquals(1, metrics.backend(a).picks());
        assertTrue(exposition().contains(SERIES));

        metrics.bind(List.of(), List.of(a), 10 * MS);
        assertSame(BackendMetrics.DETACHED, metrics.backend(a), "an endpoint no snapshot holds records nowhere");
    }

    @Test
    void aDepartedBackendsSeriesStayForTheRetentionThenGo() throws IOException {
        metrics.bind(List.of(a), List.of(), 0);
        metrics.backend(a).picked();
        assertEquals(1000 * MS, metrics.bind(List.of(), List.of(a), 5 * MS), "due a retention after it left");
        assertEquals(1 * MS, metrics.bind(List.of(), List.of(), 1004 * MS));
        assertTrue(exposition().contains(SERIES));

        assertEquals(-1, metrics.bind(List.of(), List.of(), 1005 * MS));
        assertFalse(exposition().contains(SERIES), "every series of the departed backend goes");
    }

    @Test
    void aWeightChangeThatReplacesTheEndpointKeepsTheBackendsSeriesAndStartsNoRetention() {
        metrics.bind(List.of(a), List.of(), 0);
        metrics.backend(a).picked();
        Endpoint heavier = a.withWeight(5);

        assertEquals(-1, metrics.bind(List.of(heavier), List.of(a), 10 * MS));
        assertEquals(1, metrics.backend(heavier).picks());
        assertEquals(-1, metrics.bind(List.of(), List.of(), 5000 * MS));
        assertEquals(1, metrics.backend(heavier).picks(), "still served, so never retired");
    }

    @Test
    void aBackendThatComesBackWithinTheRetentionKeepsItsCountersAndItsLaterDepartureCountsAfresh()
            throws IOException {
        metrics.bind(List.of(a), List.of(), 0);
        metrics.backend(a).picked();
        metrics.bind(List.of(), List.of(a), 0);
        Endpoint again = new Endpoint("orders", "a", "10.0.0.1", 8080, 1);
        metrics.bind(List.of(again), List.of(), 500 * MS);
        assertEquals(1, metrics.backend(again).picks());

        assertEquals(1000 * MS, metrics.bind(List.of(), List.of(again), 1500 * MS),
                "the first departure is void; the second one is due a full retention later");
        assertTrue(exposition().contains(SERIES));
        metrics.bind(List.of(), List.of(), 2500 * MS);
        assertFalse(exposition().contains(SERIES));
    }

    @Test
    void aBackendHasNoSeriesUntilItsFirstPickThenAllOfThem() throws IOException {
        metrics.bind(List.of(a), List.of(), 0);
        assertFalse(exposition().contains(SERIES));
        assertEquals(0, metrics.backend(a).picks());

        metrics.backend(a).picked();
        String text = exposition();
        for (String family : List.of("zkgate_backend_picks_total", "zkgate_backend_in_flight",
                "zkgate_backend_ejected", "zkgate_backend_ejections_total", "zkgate_upstream_failures_total",
                "zkgate_upstream_duration_seconds_count", "zkgate_upstream_latency_seconds_count")) {
            assertTrue(text.contains(family + "{service=\"orders\"," + SERIES), family + " in\n" + text);
        }
    }

    @Test
    void aBackendFirstUsedAfterItsSeriesWereRemovedRecordsNowhere() throws IOException {
        metrics.bind(List.of(a), List.of(), 0);
        BackendMetrics late = metrics.backend(a);
        metrics.bind(List.of(), List.of(a), 0);
        metrics.bind(List.of(), List.of(), 2000 * MS);

        late.picked();
        late.responded(1_000_000);
        assertFalse(exposition().contains(SERIES), "a retired backend's series do not come back through a late pick");
    }

    @Test
    void aRouteHasNoDurationSeriesUntilItsFirstRequestThenBoth() throws IOException {
        RouteMetrics route = metrics.route("orders");
        assertFalse(exposition().contains("route=\"orders\""));

        route.record("GET", 200, 2_000_000);
        String text = exposition();
        assertTrue(text.contains("zkgate_requests_total{route=\"orders\",method=\"GET\",status=\"2xx\",} 1.0"), text);
        assertTrue(text.contains("zkgate_request_duration_seconds_count{route=\"orders\",} 1.0"), text);
        assertTrue(text.contains("zkgate_request_latency_seconds_count{route=\"orders\",} 1.0"), text);
        assertEquals(1, route.requests());
    }

    @Test
    void aSeriesTakesNoReservoirWindowUntilItsFirstUpdate() {
        SlidingWindowReservoir r = new SlidingWindowReservoir(1024);
        assertFalse(r.allocated());
        assertEquals(0, r.getSnapshot().size());

        r.update(42);
        assertTrue(r.allocated());
        assertEquals(1, r.getSnapshot().size());
        assertEquals(42, r.getSnapshot().getMax());
    }

    @Test
    void aWindowKeepsDurationsToTheirFirst24BitsFromNanosecondsToHours() {
        SlidingWindowReservoir r = new SlidingWindowReservoir(8);
        long[] durations = {0, 1, 999, TimeUnit.MILLISECONDS.toNanos(16), 1_234_567_891L, TimeUnit.HOURS.toNanos(5)};
        for (long d : durations) {
            r.update(d);
        }
        long[] kept = r.getSnapshot().getValues();
        assertEquals(durations.length, kept.length);
        for (long d : durations) {
            long nearest = Arrays.stream(kept).boxed().min(Comparator.comparingLong(k -> Math.abs(k - d))).orElseThrow();
            assertTrue(Math.abs(nearest - d) <= d / (1 << 23), d + " kept as " + nearest);
        }
        assertEquals(TimeUnit.MILLISECONDS.toNanos(16), r.getSnapshot().getValues()[3], "exact up to 2^24 ns");
    }

    @Test
    void aWindowTimerCountsAndKeepsTheLastValuesButNoRates() {
        com.codahale.metrics.Timer t = WindowTimers.of(4);
        for (long ms = 1; ms <= 6; ms++) {
            t.update(ms, TimeUnit.MILLISECONDS);
        }
        assertEquals(6, t.getCount(), "every update counted");
        assertEquals(4, t.getSnapshot().size(), "the window keeps the last 4");
        assertEquals(TimeUnit.MILLISECONDS.toNanos(3), t.getSnapshot().getMin());
        assertEquals(TimeUnit.MILLISECONDS.toNanos(6), t.getSnapshot().getMax());
        assertEquals(0.0, t.getMeanRate(), "no rates kept: nothing exports them");
    }

    private String exposition() throws IOException {
        StringWriter out = new StringWriter();
        metrics.writePrometheus(out);
        return out.toString();
    }
}
