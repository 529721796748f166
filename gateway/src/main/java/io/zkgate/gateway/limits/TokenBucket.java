package io.zkgate.gateway.limits;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A token bucket kept as one long, the generic cell rate algorithm's theoretical arrival time (GCRA, as in ATM
 * networks and redis-cell): the instant at which the bucket would be full again. A request at {@code now} is
 * allowed when the bucket, after taking its token, is at most {@code burst} intervals from full, that is when
 * {@code max(tat, now) + interval - now <= burst * interval}; it then moves {@code tat} on by one interval. One
 * compare-and-set per request, no lock, no allocation; 32 bytes per bucket (with the cache's write time).
 * Rate and burst are passed in on each call rather than kept, so that a fleet-scoped limit can change its share
 * without touching its buckets: the state stays meaningful because it is a point in time.
 * Thread-safe: the state is a single volatile long updated by compare-and-set; {@link #written} is advisory.
 */
public final class TokenBucket {
    private static final VarHandle TAT;

    static {
        try {
            TAT = MethodHandles.lookup().findVarHandle(TokenBucket.class, "tat", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** When the bucket is full again, on the {@link System#nanoTime()} clock; MIN_VALUE: full since ever. */
    @SuppressWarnings("unused") // through TAT
    private volatile long tat = Long.MIN_VALUE;
    /**
     * When the cache holding this bucket last wrote its entry, on the limiter's clock (0: not yet noted); the
     * {@link RateLimiter}'s alone. Plain and racy on purpose: a lost update costs one more rewrite, never a lost bucket.
     */
    long written;

    /**
     * Takes one token when there is one.
     *
     * @param intervalNanos nanoseconds between two requests at the sustained rate
     * @param limitNanos    {@code burst * intervalNanos}: how far from full the bucket may be
     * @return 0 when allowed, else how many nanoseconds until a request would be allowed (at least 1)
     */
    public long take(long now, long intervalNanos, long limitNanos) {
        while (true) {
            long tat = (long) TAT.getVolatile(this);
            long next = Math.max(tat, now) + intervalNanos;
            long ahead = next - now;
            if (ahead > limitNanos) {
                return Math.max(1, ahead - limitNanos);
            }
            if (TAT.compareAndSet(this, tat, next)) {
                return 0;
            }
        }
    }

    /** Gives back a token taken by {@link #take} (another limit refused the request). */
    public void giveBack(long intervalNanos) {
        while (true) {
            long tat = (long) TAT.getVolatile(this);
            if (tat == Long.MIN_VALUE || TAT.compareAndSet(this, tat, tat - intervalNanos)) {
                return;
            }
        }
    }

    /** Nanoseconds until the bucket is full again (0 when it is full). */
    public long nanosUntilFull(long now) {
        long tat = (long) TAT.getVolatile(this);
        return Math.max(0, tat - now);
    }
}
