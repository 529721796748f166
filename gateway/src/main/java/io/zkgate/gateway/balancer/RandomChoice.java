package io.zkgate.gateway.balancer;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Uniform random choice with {@link ThreadLocalRandom}, or weighted random choice when the weights differ: a draw
 * in [0, total weight) and a binary search over the cumulative weights. An alias table would be O(1), but needs a
 * second draw or a division per pick; for the tens of instances a service has the binary search is a handful of
 * predictable steps over a small array, and it is exact.
 *
 * <p>Thread-safe and lock-free: the arrays are immutable, the random state is per thread.
 */
final class RandomChoice implements Balancer {
    private final Endpoint[] endpoints;
    /** cumulative[i] = sum of the weights of endpoints 0..i; null when all weights are equal. */
    private final int[] cumulative;
    private final int totalWeight;

    RandomChoice(Endpoint[] endpoints) {
        this.endpoints = endpoints;
        int n = endpoints.length;
        boolean equal = true;
        int[] c = new int[n];
        int sum = 0;
        for (int i = 0; i < n; i++) {
            int w = Math.max(1, endpoints[i].weight());
            equal &= w == Math.max(1, endpoints[0].weight());
            sum += w; // at most 10,000 per instance: overflows only past 200,000 instances
            c[i] = sum;
        }
        this.cumulative = equal ? null : c;
        this.totalWeight = sum;
    }

    @Override
    public Endpoint pick(String key) {
        Endpoint[] e = endpoints;
        int n = e.length;
        if (n <= 1) {
            return n == 0 ? null : e[0];
        }
        int[] c = cumulative;
        if (c == null) {
            return e[ThreadLocalRandom.current().nextInt(n)];
        }
        int r = ThreadLocalRandom.current().nextInt(totalWeight);
        int lo = 0;
        int hi = n - 1;
        while (lo < hi) { // first i with c[i] > r
            int mid = (lo + hi) >>> 1;
            if (c[mid] > r) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return e[lo];
    }

    @Override
    public Endpoint[] endpoints() {
        return endpoints;
    }
}
