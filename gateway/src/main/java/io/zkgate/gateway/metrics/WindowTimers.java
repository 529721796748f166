package io.zkgate.gateway.metrics;

import com.codahale.metrics.Clock;
import com.codahale.metrics.Histogram;
import com.codahale.metrics.Meter;
import com.codahale.metrics.Timer;

/**
 * Dropwizard timers that keep what the gateway exports of them, the count and quantiles of the last values (a {@link
 * SlidingWindowReservoir}), and not the moving-average rates nothing reads: the Prometheus bridge exports a timer as a
 * summary (quantiles and count), and a Dropwizard timer's meter would otherwise update four adders and check its
 * clock on every request, twice per proxied request (the route's and the backend's timer). A timer's count is its
 * histogram's, so it is unchanged. Thread-safe as Dropwizard's timers are.
 */
final class WindowTimers {
    /** Shared by every timer: marks nothing, so its rates read 0, as no exporter asks for them. */
    private static final Meter NO_RATES = new Meter() {
        @Override
        public void mark(long n) {
        }
    };

    private WindowTimers() {}

    /** A timer over the last {@code size} values (a power of two). */
    static Timer of(int size) {
        return new Timer(NO_RATES, new Histogram(new SlidingWindowReservoir(size)), Clock.defaultClock());
    }
}
