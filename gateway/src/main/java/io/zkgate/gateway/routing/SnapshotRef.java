package io.zkgate.gateway.routing;

/**
 * The current snapshot. One writer (the control thread) swaps the reference; any number of request threads read
 * it once per request into a local. Thread-safe through the volatile field alone.
 */
public final class SnapshotRef {
    private volatile Snapshot current = Snapshot.initial();

    public Snapshot current() {
        return current;
    }

    public void publish(Snapshot snapshot) {
        current = snapshot;
    }
}
