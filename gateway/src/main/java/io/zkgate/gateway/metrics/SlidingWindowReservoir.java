package io.zkgate.gateway.metrics;

import com.codahale.metrics.Reservoir;
import com.codahale.metrics.Snapshot;
import com.codahale.metrics.UniformSnapshot;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The last {@code size} values, for quantiles of recent traffic. Dropwizard's own sliding window reservoir is
 * synchronized and the exponentially decaying ones allocate per update; this one records with one atomic
 * increment and one array store. Thread-safe and lock-free; a snapshot taken during updates may mix a few values of
 * two windows, which quantiles tolerate.
 */
final class SlidingWindowReservoir implements Reservoir {
    private final AtomicLongArray values;
    private final AtomicLong count = new AtomicLong();
    private final int mask;

    /** @param size a power of two */
    SlidingWindowReservoir(int size) {
        if (Integer.bitCount(size) != 1) {
            throw new IllegalArgumentException("size: " + size + " (expected: a power of two)");
        }
        this.values = new AtomicLongArray(size);
        this.mask = size - 1;
    }

    @Override
    public int size() {
        return (int) Math.min(count.get(), values.length());
    }

    @Override
    public void update(long value) {
        values.set((int) (count.getAndIncrement() & mask), value);
    }

    @Override
    public Snapshot getSnapshot() {
        int n = size();
        long[] copy = new long[n];
        for (int i = 0; i < n; i++) {
            copy[i] = values.get(i);
        }
        return new UniformSnapshot(copy);
    }
}
