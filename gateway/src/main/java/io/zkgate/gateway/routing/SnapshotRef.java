package io.zkgate.gateway.routing;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The current snapshot. One writer (the control thread) swaps the reference; any number of request threads read
 * it once per request into a local. Thread-safe through the volatile field alone; listeners run on the writer's
 * thread after each swap.
 */
public final class SnapshotRef {
    private volatile Snapshot current = Snapshot.initial();
    private final List<Consumer<Snapshot>> listeners = new CopyOnWriteArrayList<>();

    public Snapshot current() {
        return current;
    }

    public void publish(Snapshot snapshot) {
        current = snapshot;
        for (Consumer<Snapshot> l : listeners) {
            l.accept(snapshot);
        }
    }

    /** Calls {@code listener} with every snapshot published from now on; it must be quick and must not block. */
    public void onPublish(Consumer<Snapshot> listener) {
        listeners.add(listener);
    }
}
