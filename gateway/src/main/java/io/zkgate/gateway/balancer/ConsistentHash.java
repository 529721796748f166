package io.zkgate.gateway.balancer;

import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Consistent hashing on a ketama-style ring, optionally with bounded loads (Mirrokni, Thorup, Zadimoghaddam 2016).
 *
 * <p><b>Why a ring and not Maglev.</b> The route contract says that when membership changes, every key whose backend
 * survived stays on it. On a ring that holds by construction: an instance's points depend only on its own id and
 * weight, so adding an instance only takes the arcs in front of its new points, and removing one only hands its arcs
 * to the next points. Maglev fills a lookup table by letting all backends take turns; a membership change shifts
 * those turns and moves some keys between backends that both stayed. Maglev's O(1) lookup is matched here by a radix
 * table (below), so the ring gives up nothing on the request path.
 *
 * <p><b>Points.</b> An instance gets {@link #POINTS_PER_WEIGHT} points per unit of weight, point i being a 64-bit
 * hash of its id mixed with i, so a heavier instance owns proportionally more of the ring and a weight change only
 * adds or removes that instance's own last points. 256 rather than ketama's 160 narrows the spread of shares: the
 * share an instance takes deviates by about 1/sqrt(points), 6 % here. Instance weights go up to 10,000; to keep the
 * ring small, when the largest weight in the set would need more than {@link #MAX_POINTS_PER_ENDPOINT} points, every
 * count is halved until it fits (at least one point each). The halving step depends only on the largest weight, so
 * it changes only when the largest weight crosses a power-of-two band above 64: that is the one case where keys of
 * surviving instances can move. Equal points of two instances go to the one first in id order, which is again
 * independent of the rest of the set.
 *
 * <p><b>Lookup.</b> Keys are hashed with MurmurHash3 over their chars ({@link Hashing#murmur3}). Points are kept
 * sorted as unsigned ints with a parallel array of their owners' indexes (ints, not references: a ring of thousands
 * of points gives the collector nothing to trace, and a rebuild maps old owners to new ones through a small table
 * rather than a hash lookup per point); a radix table indexed by the top bits of the hash gives the
 * first point of each bucket, with at least as many buckets as points (up to 65,536 buckets), so a lookup reads one
 * bucket entry and scans about one point instead of a binary search over the ring.
 *
 * <p><b>Bounded load.</b> With a factor c, an instance is full when its in-flight count + 1 would exceed
 * ceil(c × (total in flight + 1) × weight / total weight), which for equal weights is the paper's ceil(c × (m + 1) /
 * n). A full instance passes the key on along the ring to the next instance that is not full. An instance with no
 * request in flight is never full, nor is the one with the least load per weight, so the walk ends; if concurrent
 * picks make every instance look full, the key's own instance is used. The total is summed over the endpoints when
 * the key's instance is busy, which is cheap for the tens of instances a service has.
 *
 * <p><b>No key.</b> A request without a key takes plain round-robin over the instances, never one fixed instance.
 *
 * <p>Thread-safe and lock-free: the ring is immutable once built; the fallback counter is atomic.
 */
final class ConsistentHash implements Balancer {
    static final int POINTS_PER_WEIGHT = 256;
    static final int MAX_POINTS_PER_ENDPOINT = 64 * POINTS_PER_WEIGHT;
    private static final int MAX_BUCKET_BITS = 16;

    private final Endpoint[] endpoints;
    /** Ring points, sorted in unsigned order, stored with the sign bit flipped so that a signed compare is unsigned. */
    private final int[] points;
    /** The index in {@link #endpoints} of each point's owner. */
    private final int[] owners;
    /** buckets[b] = index of the first point whose top bits are at least b; buckets[last] = points.length. */
    private final int[] buckets;
    private final int bucketShift;
    /** How many halvings the point counts took (see Points above); a ring can start from another with the same. */
    private final int shift;
    /** The bounded-load factor divided by the total weight; 0 for unbounded. */
    private final double loadPerWeight;
    private final AtomicInteger fallback;

    /**
     * @param endpoints   sorted by id
     * @param boundedLoad the bounded-load factor (&gt;= 1), or null for plain consistent hashing
     */
    ConsistentHash(Endpoint[] endpoints, Double boundedLoad) {
        this(endpoints, boundedLoad, 0);
    }

    /**
     * @param endpoints     sorted by id
     * @param boundedLoad   the bounded-load factor (&gt;= 1), or null for plain consistent hashing
     * @param fallbackStart where the round-robin for requests without a key starts
     */
    ConsistentHash(Endpoint[] endpoints, Double boundedLoad, int fallbackStart) {
        this(endpoints, boundedLoad, fallbackStart, null);
    }

    /**
     * @param previous a ring of the same service to start from, or null: its points of the endpoints still in
     *                 {@code endpoints} (the same objects) are kept and only the others' points are hashed, sorted
     *                 and merged in, which makes one instance joining or leaving linear in the ring's size. The ring
     *                 is the same as one built from scratch.
     */
    ConsistentHash(Endpoint[] endpoints, Double boundedLoad, int fallbackStart, ConsistentHash previous) {
        this.endpoints = endpoints;
        this.fallback = new AtomicInteger(fallbackStart);
        int n = endpoints.length;
        int maxWeight = 1;
        long totalWeight = 0;
        for (Endpoint e : endpoints) {
            maxWeight = Math.max(maxWeight, e.weight());
            totalWeight += Math.max(1, e.weight());
        }
        int shift = 0;
        while (((long) POINTS_PER_WEIGHT * maxWeight >> shift) > MAX_POINTS_PER_ENDPOINT) {
            shift++;
        }
        this.shift = shift;
        boolean merge = previous != null && previous.shift == shift;
        int total = 0;
        int fresh = 0;
        int[] counts = new int[n];
        boolean[] kept = new boolean[n];
        int[] remap = null; // each of previous's endpoints' index here, or -1
        if (merge) {
            Map<Endpoint, Integer> order = new IdentityHashMap<>(2 * n);
            for (int i = 0; i < n; i++) {
                order.put(endpoints[i], i);
            }
            remap = new int[previous.endpoints.length];
            for (int j = 0; j < remap.length; j++) {
                Integer i = order.get(previous.endpoints[j]);
                remap[j] = i == null ? -1 : i;
                if (i != null) {
                    kept[i] = true;
                }
            }
        }
        for (int i = 0; i < n; i++) {
            counts[i] = (int) Math.max(1, (long) POINTS_PER_WEIGHT * Math.max(1, endpoints[i].weight()) >> shift);
            total += counts[i];
            fresh += kept[i] ? 0 : counts[i];
        }
        // (biased point << 32 | endpoint index): sorting the longs sorts by point, then by id order on equal points.
        long[] packed = new long[merge ? fresh : total];
        int p = 0;
        for (int i = 0; i < n; i++) {
            if (!kept[i]) {
                long idHash = Hashing.hash64(endpoints[i].id());
                for (int k = 0; k < counts[i]; k++) {
                    packed[p++] = ((long) (Hashing.point(idHash, k) ^ Integer.MIN_VALUE) << 32) | i;
                }
            }
        }
        Arrays.sort(packed);
        points = new int[total];
        owners = new int[total];
        if (merge) {
            merge(previous, remap, packed);
        } else {
            for (int j = 0; j < total; j++) {
                points[j] = (int) (packed[j] >> 32);
                owners[j] = (int) packed[j];
            }
        }
        int bits = total <= 1 ? 1 : Math.min(MAX_BUCKET_BITS, 32 - Integer.numberOfLeadingZeros(total - 1));
        bucketShift = 32 - bits;
        buckets = new int[(1 << bits) + 1];
        int j = 0;
        for (int b = 0; b < 1 << bits; b++) {
            while (j < total && (points[j] ^ Integer.MIN_VALUE) >>> bucketShift < b) {
                j++;
            }
            buckets[b] = j;
        }
        buckets[1 << bits] = total;
        loadPerWeight = boundedLoad == null || n == 0 ? 0 : boundedLoad / totalWeight;
    }

    /**
     * Fills the ring from {@code previous}'s points of the endpoints still here (their owners' indexes mapped by
     * {@code remap}) and the new endpoints' sorted {@code packed} points, in (point, id order) order as a build from
     * scratch sorts them.
     */
    private void merge(ConsistentHash previous, int[] remap, long[] packed) {
        int[] oldPoints = previous.points;
        int[] oldOwners = previous.owners;
        int a = 0;
        int b = 0;
        int out = 0;
        while (true) {
            while (a < oldPoints.length && remap[oldOwners[a]] < 0) {
                a++;
            }
            if (a == oldPoints.length && b == packed.length) {
                return;
            }
            boolean takeOld;
            if (a == oldPoints.length) {
                takeOld = false;
            } else if (b == packed.length) {
                takeOld = true;
            } else {
                int fresh = (int) (packed[b] >> 32);
                takeOld = oldPoints[a] < fresh || oldPoints[a] == fresh && remap[oldOwners[a]] < (int) packed[b];
            }
            if (takeOld) {
                points[out] = oldPoints[a];
                owners[out++] = remap[oldOwners[a++]];
            } else {
                points[out] = (int) (packed[b] >> 32);
                owners[out++] = (int) packed[b++];
            }
        }
    }

    @Override
    public Endpoint pick(String key) {
        Endpoint[] all = endpoints;
        if (owners.length == 0) {
            return null;
        }
        if (key == null) {
            return all[Math.floorMod(fallback.getAndIncrement(), all.length)];
        }
        int i = indexOf(Hashing.murmur3(key));
        Endpoint e = all[owners[i]];
        if (loadPerWeight == 0 || e.inFlight() == 0) {
            return e;
        }
        return bounded(i, e);
    }

    @Override
    public Endpoint[] endpoints() {
        return endpoints;
    }

    /** Whether {@code other} has the same points owned by the same endpoint objects; for tests. */
    boolean sameRing(ConsistentHash other) {
        if (!Arrays.equals(points, other.points) || owners.length != other.owners.length) {
            return false;
        }
        for (int i = 0; i < owners.length; i++) {
            if (endpoints[owners[i]] != other.endpoints[other.owners[i]]) {
                return false;
            }
        }
        return true;
    }

    /** The endpoint owning {@code hash} on the ring, ignoring load; for tests. */
    Endpoint owner(int hash) {
        return owners.length == 0 ? null : endpoints[owners[indexOf(hash)]];
    }

    /** Index of the first point at or after {@code hash} (unsigned), wrapping to 0 past the last. */
    private int indexOf(int hash) {
        int b = hash >>> bucketShift;
        int i = buckets[b];
        int end = buckets[b + 1];
        int biased = hash ^ Integer.MIN_VALUE;
        int[] pts = points;
        while (i < end && pts[i] < biased) {
            i++;
        }
        return i == pts.length ? 0 : i;
    }

    private Endpoint bounded(int start, Endpoint own) {
        long inFlight = 0;
        for (Endpoint x : endpoints) {
            inFlight += x.inFlight();
        }
        double perWeight = loadPerWeight * (inFlight + 1);
        if (fits(own, perWeight)) {
            return own;
        }
        int[] ring = owners;
        Endpoint[] all = endpoints;
        int n = ring.length;
        int j = start;
        for (int step = 1; step < n; step++) {
            if (++j == n) {
                j = 0;
            }
            Endpoint e = all[ring[j]];
            if (e != own && fits(e, perWeight)) {
                return e;
            }
        }
        return own;
    }

    /** in-flight + 1 &lt;= ceil(x) is in-flight &lt; x for an integer in-flight count. */
    private static boolean fits(Endpoint e, double perWeight) {
        return e.inFlight() < perWeight * Math.max(1, e.weight());
    }
}
