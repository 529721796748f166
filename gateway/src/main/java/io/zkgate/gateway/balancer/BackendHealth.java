package io.zkgate.gateway.balancer;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Passive and active health of one backend, shared by every {@link Endpoint} copy of it across snapshots, like its
 * in-flight count. The request path only counts outcomes; ejecting and re-admitting is decided on the control
 * thread, which rebuilds the service's pool without the ejected backend. Thread-safe: atomics and volatile fields.
 * Writers: the failure streak, from every request thread (and zeroed by an ejection); the ejection fields, from the
 * control thread only; {@code activelyHealthy}, from the active health checker's thread only; the cap-reported flag,
 * set by the control thread and cleared by request threads when a streak ends (a lost update costs at most one log
 * line).
 */
public final class BackendHealth {
    private final AtomicInteger consecutiveFailures = new AtomicInteger();
    private volatile long ejectedUntilNanos;
    private volatile boolean ejected;
    private volatile int ejections;
    private volatile boolean activelyHealthy = true;
    /** The ejection cap kept this backend in during the current failure streak, and that was logged. */
    private volatile boolean capReported;

    /**
     * Counts a connect failure, timeout or 5xx.
     *
     * @return true each time the streak reaches a multiple of {@code threshold}: then ask for an ejection
     */
    public boolean failed(int threshold) {
        int n = consecutiveFailures.incrementAndGet();
        return threshold > 0 && n % threshold == 0;
    }

    /** Counts a response that was not a 5xx: the streak ends. */
    public void succeeded() {
        if (consecutiveFailures.get() != 0) {
            consecutiveFailures.set(0);
            capReported = false;
        }
    }

    /**
     * Whether to log that the ejection cap keeps this failing backend in: true once per failure streak, so a
     * backend failing under load gives one line, not one per ejection request; control thread only.
     */
    public boolean reportCapped() {
        if (capReported) {
            return false;
        }
        capReported = true;
        return true;
    }

    public int consecutiveFailures() {
        return consecutiveFailures.get();
    }

    /** Whether the backend is ejected at {@code nowNanos}. */
    public boolean ejected(long nowNanos) {
        return ejected && ejectedUntilNanos - nowNanos > 0;
    }

    /** Whether an ejection was decided and not yet ended by {@link #readmit()}, whatever the time. */
    public boolean inEjection() {
        return ejected;
    }

    /** Ejects until {@code untilNanos}; control thread only. Returns the ejection count, this one included. */
    public int eject(long untilNanos) {
        ejectedUntilNanos = untilNanos;
        ejected = true;
        consecutiveFailures.set(0);
        capReported = false;
        return ++ejections;
    }

    /** Ends an ejection whose time is over; control thread only. */
    public void readmit() {
        ejected = false;
    }

    /** Ejections so far; the next ejection lasts longer the more there were. */
    public int ejections() {
        return ejections;
    }

    public boolean activelyHealthy() {
        return activelyHealthy;
    }

    /** Set by the active health checker; returns whether it changed. */
    public boolean activelyHealthy(boolean healthy) {
        boolean changed = activelyHealthy != healthy;
        activelyHealthy = healthy;
        return changed;
    }
}
