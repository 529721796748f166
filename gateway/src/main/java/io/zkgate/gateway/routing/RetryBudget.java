package io.zkgate.gateway.routing;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * How many retries a route may make: at most {@code ratio} of its requests over the last ten seconds, plus
 * {@code minimum} retries, so a failing service is not hit with a retry storm (Finagle's and Envoy's retry
 * budgets). Ten one-second slots of request and retry counts; a slot is reset when its second comes round again.
 * Thread-safe and lock-free; a reset racing with a count may lose that count, which a budget tolerates.
 */
public final class RetryBudget {
    private static final int SLOTS = 10;
    private static final long NANOS_PER_SLOT = 1_000_000_000L;

    private final double ratio;
    private final int minimum;
    private final AtomicLongArray stamps = new AtomicLongArray(SLOTS);
    private final AtomicLongArray requests = new AtomicLongArray(SLOTS);
    private final AtomicLongArray retries = new AtomicLongArray(SLOTS);

    public RetryBudget(double ratio, int minimum) {
        if (ratio < 0 || minimum < 0) {
            throw new IllegalArgumentException("ratio: " + ratio + ", minimum: " + minimum + " (expected: >= 0)");
        }
        this.ratio = ratio;
        this.minimum = minimum;
    }

    /** Counts a first attempt. */
    public void request() {
        requests.incrementAndGet(slot(System.nanoTime()));
    }

    /** Takes one retry from the budget if there is one left. */
    public boolean tryRetry() {
        long now = System.nanoTime();
        int current = slot(now);
        long recentRequests = 0;
        long recentRetries = 0;
        long second = now / NANOS_PER_SLOT;
        for (int i = 0; i < SLOTS; i++) {
            if (second - stamps.get(i) < SLOTS) {
                recentRequests += requests.get(i);
                recentRetries += retries.get(i);
            }
        }
        if (recentRetries + 1 > minimum + ratio * recentRequests) {
            return false;
        }
        retries.incrementAndGet(current);
        return true;
    }

    private int slot(long now) {
        long second = now / NANOS_PER_SLOT;
        int i = (int) Math.floorMod(second, (long) SLOTS);
        long stamp = stamps.get(i);
        if (stamp != second && stamps.compareAndSet(i, stamp, second)) {
            requests.set(i, 0);
            retries.set(i, 0);
        }
        return i;
    }
}
