package io.zkgate.gateway.balancer;

import java.util.function.Predicate;

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

    /**
     * A backend for a retry: the policy's own pick when a few picks find one not yet {@code tried}, else the first
     * untried endpoint in order.
     *
     * @return the endpoint, or null when every endpoint was tried
     */
    default Endpoint pickOther(String key, Predicate<Endpoint> tried) {
        for (int i = 0; i < 4; i++) {
            Endpoint candidate = pick(key);
            if (candidate != null && !tried.test(candidate)) {
                return candidate;
            }
        }
        for (Endpoint candidate : endpoints()) {
            if (!tried.test(candidate)) {
                return candidate;
            }
        }
        return null;
    }
}
