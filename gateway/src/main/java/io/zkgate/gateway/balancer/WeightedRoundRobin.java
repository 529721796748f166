package io.zkgate.gateway.balancer;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Smooth weighted round-robin, nginx's algorithm ({@code ngx_http_upstream_get_peer}): every step each peer's current
 * weight grows by its weight, the peer with the largest current weight (the first in id order on a tie) is chosen
 * and its current weight drops by the total. Weights {5, 1, 1} give a a b a c a a: the heaviest never gets a burst.
 *
 * <p>nginx runs that loop on every request (under a lock when the upstream is shared between workers). Here the
 * sequence it would produce is computed once per snapshot, when the balancer is built, and a pick is one atomic
 * increment and one array read: no lock, no allocation, and a reader never sees a half-updated set of current
 * weights. The alternatives considered were a CAS loop over an immutable array of current weights (allocates and
 * retries under contention), per-thread state (not one sequence any more) and an EDF heap (O(log n), needs a lock);
 * the precomputed sequence is exact and O(1). The counter is per balancer and a new snapshot's starts at a random
 * slot; over any window of one period each endpoint gets exactly its share. At the counter's wrap past
 * Integer.MAX_VALUE, {@code Math.floorMod} keeps the index in range (the period restarts from a slot other than the
 * next one, once every four billion picks).
 *
 * <p>The period is the sum of the weights divided by their greatest common divisor: 7 for {5, 1, 1}, 16 for {1, 2, 3,
 * 10}, the number of endpoints when all weights are equal. Instance weights go up to 10,000, so the period could
 * reach millions; when the reduced sum exceeds {@link #MAX_PERIOD} the weights are scaled to that total and rounded
 * (each endpoint keeps at least one slot). Each scaled weight is within half a slot of exact, so shares stay within
 * about 0.1 % of the traffic of the configured ones, far below what anyone tunes weights to. Building costs
 * O(endpoints × period).
 *
 * <p>Thread-safe and lock-free: the sequence is immutable, the counter atomic.
 */
final class WeightedRoundRobin implements Balancer {
    /** Longest precomputed sequence; 4096 references, 16 KB with compressed oops. */
    static final int MAX_PERIOD = 4096;

    private final Endpoint[] endpoints;
    private final Endpoint[] sequence;
    private final AtomicInteger next;

    WeightedRoundRobin(Endpoint[] endpoints) {
        this(endpoints, 0);
    }

    /** Starts the counter at {@code start}: random in production, chosen by tests (e.g. to cross the wrap-around). */
    WeightedRoundRobin(Endpoint[] endpoints, int start) {
        this.endpoints = endpoints;
        this.sequence = smoothSequence(endpoints, periodWeights(endpoints, MAX_PERIOD));
        this.next = new AtomicInteger(start);
    }

    @Override
    public Endpoint pick(String key) {
        Endpoint[] s = sequence;
        if (s.length == 0) {
            return null;
        }
        return s[Math.floorMod(next.getAndIncrement(), s.length)];
    }

    @Override
    public Endpoint[] endpoints() {
        return endpoints;
    }

    /** One period of picks, for tests and the admin view. */
    Endpoint[] sequence() {
        return sequence.clone();
    }

    /** The weights reduced by their gcd, scaled down to about {@code maxPeriod} slots when their sum is larger. */
    static int[] periodWeights(Endpoint[] endpoints, int maxPeriod) {
        int n = endpoints.length;
        int[] w = new int[n];
        int g = 0;
        for (int i = 0; i < n; i++) {
            w[i] = Math.max(1, endpoints[i].weight());
            g = SmoothWeighted.gcd(g, w[i]);
        }
        long sum = 0;
        for (int i = 0; i < n; i++) {
            w[i] /= g;
            sum += w[i];
        }
        if (sum <= maxPeriod) {
            return w;
        }
        double scale = (double) maxPeriod / sum;
        g = 0;
        for (int i = 0; i < n; i++) {
            w[i] = Math.max(1, (int) Math.round(w[i] * scale));
            g = SmoothWeighted.gcd(g, w[i]);
        }
        for (int i = 0; i < n; i++) {
            w[i] /= g;
        }
        return w;
    }

    /** nginx's smooth weighted round-robin, run for one full period. */
    static Endpoint[] smoothSequence(Endpoint[] endpoints, int[] weights) {
        int[] order = SmoothWeighted.order(weights);
        Endpoint[] seq = new Endpoint[order.length];
        for (int s = 0; s < order.length; s++) {
            seq[s] = endpoints[order[s]];
        }
        return seq;
    }
}
