package io.zkgate.gateway.limits;

import com.github.benmanes.caffeine.cache.Ticker;

/**
 * The clock a limiter's key cache expires idle keys on: the time its requests last saw, kept to the millisecond. A
 * check reads the clock once for its bucket and hands the reading on here, so that the cache's lookup reads a field
 * instead of the clock a second time. Idle timeouts are a second or more, so a millisecond behind changes nothing;
 * without requests the cache does no upkeep of its own anyway (it has no scheduler), and {@link #catchUp} brings the
 * clock to the source's time before an explicit clean-up.
 * Thread-safe: one volatile long; concurrent requests may race to move it, which at worst leaves it a moment behind.
 */
final class RequestClock implements Ticker {
    /** How far a request's time must be ahead before it is written (shared by every thread using the limiter). */
    static final long RESOLUTION_NANOS = 1_000_000;

    private final Ticker source;
    private volatile long now;

    /** @param source the clock requests read their time from ({@link Ticker#systemTicker()} but in tests) */
    RequestClock(Ticker source) {
        this.source = source;
        this.now = source.read();
    }

    @Override
    public long read() {
        return now;
    }

    /** A request's time, on the source's clock: moves the clock on when it is at least the resolution ahead. */
    void saw(long time) {
        if (time - now >= RESOLUTION_NANOS) {
            now = time;
        }
    }

    /** Moves the clock to the source's time now. */
    void catchUp() {
        saw(source.read());
    }
}
