package io.zkgate.gateway.balancer;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Least request by the power of two choices, weighted as Envoy does: two distinct endpoints are drawn uniformly at
 * random and the one with the lower load per weight wins, the load being in-flight requests + 1 (the + 1 makes an
 * idle heavy endpoint beat an idle light one). The comparison is (a + 1) × weight(b) against (b + 1) × weight(a) in
 * longs, so no division; on a tie the first draw wins, so the pick is never the more loaded of the two.
 *
 * <p>Two random choices rather than a scan for the global minimum: O(1) per pick, and it does not send a burst of
 * requests to the one endpoint that looked idle a moment ago (Mitzenmacher; Envoy's and Finagle's default).
 *
 * <p>Thread-safe and lock-free: the endpoint array is immutable, counters are atomic, the random state is per thread.
 */
final class LeastRequest implements Balancer {
    private final Endpoint[] endpoints;

    LeastRequest(Endpoint[] endpoints) {
        this.endpoints = endpoints;
    }

    @Override
    public Endpoint pick(String key) {
        Endpoint[] e = endpoints;
        int n = e.length;
        if (n <= 1) {
            return n == 0 ? null : e[0];
        }
        long r = ThreadLocalRandom.current().nextLong();
        int i = MultiplyShift.high(r, n);
        int j = MultiplyShift.low(r, n - 1);
        if (j >= i) {
            j++;
        }
        return lessLoaded(e[i], e[j]);
    }

    @Override
    public Endpoint[] endpoints() {
        return endpoints;
    }

    /** The endpoint with the lower (in-flight + 1) / weight; {@code a} on a tie. */
    static Endpoint lessLoaded(Endpoint a, Endpoint b) {
        long loadA = (a.inFlight() + 1L) * Math.max(1, b.weight());
        long loadB = (b.inFlight() + 1L) * Math.max(1, a.weight());
        return loadB < loadA ? b : a;
    }
}
