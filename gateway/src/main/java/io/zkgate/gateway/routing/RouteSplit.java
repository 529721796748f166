package io.zkgate.gateway.routing;

import com.codahale.metrics.Counter;
import io.zkgate.gateway.balancer.Balancer;
import io.zkgate.gateway.balancer.Endpoint;
import io.zkgate.gateway.balancer.SmoothWeighted;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * A route's weighted split over several services ({@code backends}), as one {@link Balancer}: a pick chooses a side
 * by weight, then a backend with that side's own balancer (the route's policy over the side's service).
 *
 * <p>Without a hash key the side comes from a smooth weighted round-robin sequence over the sides that have a
 * routable instance, computed once per snapshot (as {@code weighted_round_robin} does for backends), so a 5/95
 * split sends exactly 5 of every 100 requests to the first side, never in bursts. With the route's hash key
 * ({@code consistent_hash} and {@code lb.hashKey}) the side comes from the key's hash over the configured weights,
 * so a user stays on one side for as long as the weights do not change. A side with no routable instance gives its
 * share to the others: in the sequence by leaving it out, for a hashed key by hashing the keys that fell on it
 * again over the sides left (the keys of the other sides stay where they are).
 *
 * <p>A retry ({@link #pickOther}) looks for an untried backend on the side the request's key (or the sequence)
 * picks, then on the other sides in order. Each first pick counts toward its side's
 * {@code zkgate_split_requests_total}. Immutable apart from the sequence counter and the metrics; thread-safe and
 * lock-free.
 */
public final class RouteSplit implements Balancer {
    /** Longest precomputed side sequence; weights summing to more are scaled down (shares within 0.1 %). */
    static final int MAX_PERIOD = 1000;

    private final Side[] sides;
    /** Cumulative configured weights: side i takes hash buckets [cumulative[i-1], cumulative[i]). */
    private final int[] cumulative;
    /** Cumulative weights of the sides with a routable instance (0 for the others). */
    private final int[] availableCumulative;
    private final int[] sequence;
    private final AtomicInteger next;
    private final Endpoint[] endpoints;

    /**
     * One side of the split.
     *
     * @param service  the side's service
     * @param weight   its configured weight
     * @param balancer the route's policy over the service's routable instances in this snapshot
     * @param picks    its {@code zkgate_split_requests_total} counter, or null when metrics are off
     */
    public record Side(String service, int weight, Balancer balancer, Counter picks) {
        /** Whether the side takes traffic: a weight above 0 and at least one routable instance. */
        public boolean routable() {
            return weight > 0 && balancer.endpoints().length > 0;
        }

        /** A side with weight that lost every instance: its share goes to the other sides. */
        public boolean emptied() {
            return weight > 0 && balancer.endpoints().length == 0;
        }
    }

    /**
     * @param sides in the route's order
     * @param start where the side sequence starts (random in production)
     */
    public RouteSplit(List<Side> sides, int start) {
        this.sides = sides.toArray(new Side[0]);
        int n = this.sides.length;
        cumulative = new int[n];
        availableCumulative = new int[n];
        int sum = 0;
        int available = 0;
        List<Endpoint> all = new ArrayList<>();
        int[] weights = new int[n];
        for (int i = 0; i < n; i++) {
            Side s = this.sides[i];
            sum += s.weight();
            cumulative[i] = sum;
            if (s.routable()) {
                available += s.weight();
                weights[i] = s.weight();
            }
            availableCumulative[i] = available;
            all.addAll(List.of(s.balancer().endpoints()));
        }
        endpoints = all.toArray(new Endpoint[0]);
        sequence = smoothSequence(weights);
        next = new AtomicInteger(start);
    }

    @Override
    public Endpoint pick(String key) {
        int s = side(key);
        if (s < 0) {
            return null;
        }
        Side side = sides[s];
        if (side.picks != null) {
            side.picks.inc();
        }
        return side.balancer.pick(key);
    }

    @Override
    public Endpoint pickOther(String key, Predicate<Endpoint> tried) {
        int first = side(key);
        if (first < 0) {
            return null;
        }
        Endpoint e = sides[first].balancer.pickOther(key, tried);
        for (int i = 0; e == null && i < sides.length; i++) {
            if (i != first && sides[i].routable()) {
                e = sides[i].balancer.pickOther(key, tried);
            }
        }
        return e;
    }

    /** Every side's routable endpoints, side after side. */
    @Override
    public Endpoint[] endpoints() {
        return endpoints;
    }

    /** The sides, in the route's order; callers must not modify the list. */
    public List<Side> sides() {
        return List.of(sides);
    }

    /** The share (0 to 1) of requests side {@code i} gets now, its configured one or, with sides emptied, more. */
    public double share(int i) {
        int available = availableCumulative[sides.length - 1];
        return available == 0 || !sides[i].routable() ? 0 : (double) sides[i].weight() / available;
    }

    /** The side for a request: by the key's hash when it has one, else the next in the sequence; -1 when none. */
    int side(String key) {
        int[] seq = sequence;
        if (seq.length == 0) {
            return -1;
        }
        if (key == null) {
            return seq[Math.floorMod(next.getAndIncrement(), seq.length)];
        }
        long h = mix(key.hashCode());
        int s = bucket(cumulative, (int) Long.remainderUnsigned(h, cumulative[cumulative.length - 1]));
        if (sides[s].routable()) {
            return s;
        }
        int available = availableCumulative[availableCumulative.length - 1];
        return bucket(availableCumulative, (int) Long.remainderUnsigned(mix(h), available));
    }

    /** The first index whose cumulative weight is above {@code point}. */
    private static int bucket(int[] cumulativeWeights, int point) {
        for (int i = 0; i < cumulativeWeights.length; i++) {
            if (point < cumulativeWeights[i]) {
                return i;
            }
        }
        return cumulativeWeights.length - 1;
    }

    /** SplitMix64's finalizer: spreads String hash codes, which cluster for similar keys. */
    private static long mix(long z) {
        z = (z + 0x9E3779B97F4A7C15L);
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /** One period of nginx's smooth weighted round-robin over side indexes; sides of weight 0 never appear. */
    static int[] smoothSequence(int[] weights) {
        int n = weights.length;
        int g = 0;
        long sum = 0;
        for (int w : weights) {
            g = SmoothWeighted.gcd(g, w);
            sum += w;
        }
        if (sum == 0) {
            return new int[0];
        }
        int[] w = new int[n];
        for (int i = 0; i < n; i++) {
            w[i] = weights[i] / g;
            if (sum / g > MAX_PERIOD && w[i] > 0) {
                w[i] = Math.max(1, (int) Math.round((double) w[i] * MAX_PERIOD / (sum / g)));
            }
        }
        return SmoothWeighted.order(w);
    }

}
