package io.zkgate.loadtest;

import io.zkgate.gateway.metrics.GatewayMetrics;
import io.zkgate.gateway.metrics.RouteMetrics;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * What the request path pays in metrics for one proxied request of a route: its status count, its latency histogram
 * and its duration window, as {@code RouteMetrics.record} updates them once per request.
 *
 * <p>State is per trial; the durations cycle through 1,024 values from 0.2 to 20 ms.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Benchmark)
public class RequestMetricsBenchmark {
    private RouteMetrics route;
    private final long[] durations = new long[1024];
    private int next;

    @Setup
    public void setUp() {
        route = new GatewayMetrics().route("orders");
        for (int i = 0; i < durations.length; i++) {
            durations[i] = 200_000L + 19_800_000L * i / durations.length;
        }
    }

    @Benchmark
    public void recordOneRequest() {
        route.record("GET", 200, durations[next++ & 1023]);
    }
}
