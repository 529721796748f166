package io.zkgate.gateway.metrics;

import com.codahale.metrics.Reservoir;
import com.codahale.metrics.Snapshot;
import com.codahale.metrics.UniformSnapshot;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The last {@code size} values, for quantiles of recent traffic. Dropwizard's own sliding window reservoir is
 * synchronized and the exponentially decaying ones allocate per update; this one records with one atomic
 * increment and one array store. Values are kept as {@code float}s, 4 bytes each: a duration in nanoseconds keeps
 * 24 significant bits (exact to 16 ms, within 32 ns at a second, 0.1 ms at an hour), which quantiles do not miss,
 * and a gateway whose thousands of routes and backends all see traffic keeps half the memory in windows. The window
 * ({@code 4 * size} bytes) is allocated on the first update, so a series that never sees traffic (most backends and
 * routes of a large table) costs a few dozen bytes; its snapshot is empty either way. Thread-safe and lock-free; a
 * snapshot taken during updates may mix a few values of two windows, which
 * quantiles tolerate.
 */
final class SlidingWindowReservoir implements Reservoir {
    private static final VarHandle VALUES;

    static {
        try {
            VALUES = MethodHandles.lookup().findVarHandle(SlidingWindowReservoir.class, "values",
                    AtomicIntegerArray.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Null until the first update; set once, by compare-and-set, and never changed after. */
    private volatile AtomicIntegerArray values;
    private final AtomicLong count = new AtomicLong();
    private final int mask;

    /** @param size a power of two */
    SlidingWindowReservoir(int size) {
        if (Integer.bitCount(size) != 1) {
            throw new IllegalArgumentException("size: " + size + " (expected: a power of two)");
        }
        this.mask = size - 1;
    }

    @Override
    public int size() {
        return (int) Math.min(count.get(), mask + 1L);
    }

    @Override
    public void update(long value) {
        AtomicIntegerArray v = values;
        if (v == null) {
            v = allocate();
        }
        v.set((int) (count.getAndIncrement() & mask), Float.floatToRawIntBits(value));
    }

    /** The window, allocated by the first updater; a racing one that lost uses the winner's. */
    private AtomicIntegerArray allocate() {
        AtomicIntegerArray fresh = new AtomicIntegerArray(mask + 1);
        return VALUES.compareAndSet(this, null, fresh) ? fresh : values;
    }

    /** Whether the window has been allocated (the series has seen an update). */
    boolean allocated() {
        return values != null;
    }

    @Override
    public Snapshot getSnapshot() {
        int n = size();
        AtomicIntegerArray v = values;
        long[] copy = new long[v == null ? 0 : n];
        for (int i = 0; i < copy.length; i++) {
            copy[i] = (long) Float.intBitsToFloat(v.get(i));
        }
        return new UniformSnapshot(copy);
    }
}
