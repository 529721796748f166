package io.zkgate.loadtest;

import io.zkgate.gateway.balancer.Balancer;
import io.zkgate.gateway.balancer.Balancers;
import io.zkgate.gateway.balancer.Endpoint;
import io.zkgate.schema.HashKey;
import io.zkgate.schema.Policy;
import io.zkgate.schema.Route;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;

/**
 * One balancer pick, as the proxy makes it per request: 10 backends, one balancer shared by all benchmark threads
 * (so round-robin counters are contended as they are in the gateway), a 16-character key per pick. Key-based
 * policies hash the key inside {@code pick}; the others ignore it, so every row pays the same key load.
 *
 * <p>{@code weights}: {@code equal} (all 1) or {@code 1-10}. Endpoints carry a fixed in-flight load of 0-9 requests,
 * so least_request compares real loads and bounded consistent hashing finds some backends full and walks the ring.
 *
 * <p>State is per trial and never changes during measurement. Thread-safe as the balancers are.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Benchmark)
public class BalancerBenchmark {
    private static final int KEYS = 1024; // a power of two: the cursor is masked, not divided

    @Param({"round_robin", "weighted_round_robin", "random", "least_request", "consistent_hash",
            "consistent_hash_bounded"})
    public String policy;

    @Param({"equal", "1-10"})
    public String weights;

    private Balancer balancer;
    private String[] keys;

    /** Each thread walks the keys from its own position. */
    @State(Scope.Thread)
    public static class Cursor {
        int next;
    }

    @Setup
    public void setUp() {
        Endpoint[] endpoints = new Endpoint[10];
        for (int i = 0; i < endpoints.length; i++) {
            int weight = weights.equals("equal") ? 1 : i + 1;
            endpoints[i] = new Endpoint("bench", "instance-" + i, "10.0.0." + (i + 1), 8080, weight);
            for (int k = 0; k < i * 7 % 10; k++) {
                endpoints[i].acquire();
            }
        }
        Arrays.sort(endpoints);
        boolean bounded = policy.equals("consistent_hash_bounded");
        Policy p = bounded ? Policy.CONSISTENT_HASH : Policy.fromWireName(policy);
        if (p == null) {
            throw new IllegalArgumentException("policy: " + policy);
        }
        HashKey hashKey = p == Policy.CONSISTENT_HASH ? HashKey.parse("header:X-User-Id") : null;
        balancer = Balancers.create(new Route.LoadBalancing(p, hashKey, bounded ? 1.25 : null), endpoints);

        keys = new String[KEYS];
        SplittableRandom random = new SplittableRandom(16);
        for (int i = 0; i < KEYS; i++) {
            StringBuilder sb = new StringBuilder(16);
            for (int c = 0; c < 16; c++) {
                sb.append((char) ('a' + random.nextInt(26)));
            }
            keys[i] = sb.toString();
        }
    }

    @Benchmark
    @Threads(1)
    public Endpoint pick1Thread(Cursor cursor) {
        return balancer.pick(keys[cursor.next++ & (KEYS - 1)]);
    }

    @Benchmark
    @Threads(2)
    public Endpoint pick2Threads(Cursor cursor) {
        return balancer.pick(keys[cursor.next++ & (KEYS - 1)]);
    }
}
