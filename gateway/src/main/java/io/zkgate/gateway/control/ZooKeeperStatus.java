package io.zkgate.gateway.control;

import java.time.Instant;

/**
 * What the gateway knows of its ZooKeeper session, for the admin API: the connection state and since when, and
 * when the snapshot last caught up with ZooKeeper. Thread-safe: one writer per field, volatile fields.
 */
public final class ZooKeeperStatus {
    private final String connectString;
    private volatile String state = "LATENT";
    private volatile boolean connected;
    private volatile Instant stateSince = Instant.now();
    private volatile Instant firstSync;
    private volatile Instant lastUpdate;
    private volatile Instant watching;

    public ZooKeeperStatus(String connectString) {
        this.connectString = connectString;
    }

    public void stateChanged(String newState, boolean isConnected) {
        state = newState;
        connected = isConnected;
        stateSince = Instant.now();
    }

    void synced() {
        if (firstSync == null) {
            firstSync = Instant.now();
        }
    }

    void nowWatching() {
        watching = Instant.now();
    }

    void updated() {
        lastUpdate = Instant.now();
    }

    public String connectString() {
        return connectString;
    }

    public String state() {
        return state;
    }

    public boolean connected() {
        return connected;
    }

    public Instant stateSince() {
        return stateSince;
    }

    /** When routes and services were first read in full, or null. */
    public Instant firstSync() {
        return firstSync;
    }

    /**
     * Since when every tree is watched, or null: after a batched first read, routing serves the table before its
     * watches have read it too, and a change made in that window is applied once they have.
     */
    public Instant watchingSince() {
        return watching;
    }

    /** When the last change from ZooKeeper was applied, or null. */
    public Instant lastUpdate() {
        return lastUpdate;
    }

    /** Whether routing runs on data that may be out of date: synced once, but the session is not connected now. */
    public boolean stale() {
        return firstSync != null && !connected;
    }
}
