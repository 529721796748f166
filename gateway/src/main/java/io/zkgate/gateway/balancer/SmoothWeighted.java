package io.zkgate.gateway.balancer;

/**
 * nginx's smooth weighted round-robin, run once for a whole period: each step adds every weight to its running
 * total, takes the largest and subtracts the sum from it, so weights 5,1,1 give a a b a c a a, never a burst to the
 * heaviest. Used where a weighted order is precomputed (a weighted balancer, a route split's sides). Stateless.
 */
public final class SmoothWeighted {
    private SmoothWeighted() {}

    /**
     * One period of the order: indexes into {@code weights}, each appearing as often as its weight; a weight of 0
     * never appears. Its length is the sum of the weights.
     */
    public static int[] order(int[] weights) {
        int n = weights.length;
        int total = 0;
        for (int w : weights) {
            total += w;
        }
        int[] seq = new int[total];
        long[] current = new long[n];
        for (int s = 0; s < total; s++) {
            int best = -1;
            for (int i = 0; i < n; i++) {
                if (weights[i] == 0) {
                    continue;
                }
                current[i] += weights[i];
                if (best < 0 || current[i] > current[best]) {
                    best = i;
                }
            }
            current[best] -= total;
            seq[s] = best;
        }
        return seq;
    }

    /** The greatest common divisor of two non-negative ints ({@code gcd(0, b)} is b). */
    public static int gcd(int a, int b) {
        while (b != 0) {
            int t = a % b;
            a = b;
            b = t;
        }
        return a;
    }
}
