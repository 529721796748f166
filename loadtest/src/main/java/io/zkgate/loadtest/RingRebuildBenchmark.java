package io.zkgate.loadtest;

import io.zkgate.gateway.balancer.Balancer;
import io.zkgate.gateway.balancer.Balancers;
import io.zkgate.gateway.balancer.Endpoint;
import io.zkgate.schema.HashKey;
import io.zkgate.schema.Policy;
import io.zkgate.schema.Route;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * A consistent-hash ring rebuilt on the control thread when one instance of a service registers: the new ring starts
 * from the previous one (its points kept, the newcomer's hashed and merged in), as a publish builds it. {@code
 * backends} is the count before the newcomer, each of weight 1 (256 points each).
 *
 * <p>State is per trial and never changes during measurement.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
public class RingRebuildBenchmark {
    @Param({"10", "100"})
    public int backends;

    private Route.LoadBalancing lb;
    private Balancer previous;
    private Endpoint[] joined;

    @Setup
    public void setUp() {
        Endpoint[] before = new Endpoint[backends];
        for (int i = 0; i < backends; i++) {
            before[i] = new Endpoint("bench", "instance-" + i, "10.0.0." + (i % 250 + 1), 8080 + i / 250, 1);
        }
        Arrays.sort(before);
        lb = new Route.LoadBalancing(Policy.CONSISTENT_HASH, HashKey.parse("header:X-User-Id"), null);
        previous = Balancers.create(lb, before.clone(), null);
        joined = Arrays.copyOf(before, backends + 1);
        joined[backends] = new Endpoint("bench", "newcomer", "10.0.1.1", 8080, 1);
        Arrays.sort(joined);
    }

    @Benchmark
    public Balancer oneInstanceJoins() {
        return Balancers.create(lb, joined.clone(), previous);
    }
}
