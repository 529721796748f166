package io.zkgate.gateway.balancer;

/**
 * Picks a backend for one request from an immutable endpoint set frozen when the snapshot was built.
 * Implementations take no lock and allocate nothing per pick; they are thread-safe.
 */
public interface Balancer {
    /**
     * @param key the request's hash key for key-based policies, or null when it has none (key-based policies then
     *            fall back to round-robin); other policies ignore it
     * @return the chosen endpoint, or null when the set is empty
     */
    Endpoint pick(String key);

    /** The endpoints this balancer chooses from, sorted; callers must not modify the array. */
    Endpoint[] endpoints();
}
