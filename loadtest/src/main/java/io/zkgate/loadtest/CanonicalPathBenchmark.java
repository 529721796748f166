package io.zkgate.loadtest;

import io.zkgate.schema.CanonicalPath;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * What path canonicalization costs per request, as every front door runs it before routing: {@code canonical} is a
 * path already in canonical form (nearly all real traffic: one scan, the same String back), {@code encoded} one with
 * percent-encodings kept as they are, {@code rewritten} one that is rebuilt (an encoded letter, a dot segment and a
 * doubled slash). Stateless; thread-safe.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Benchmark)
public class CanonicalPathBenchmark {
    @Param({"canonical", "encoded", "rewritten"})
    public String spelling;

    private String path;

    @org.openjdk.jmh.annotations.Setup
    public void setUp() {
        path = switch (spelling) {
            case "canonical" -> "/api/orders/v2/customers/4711/items";
            case "encoded" -> "/api/orders/caf%C3%A9/customers/a%20b/items";
            default -> "/api/%6Frders/./v2//customers/4711/items";
        };
    }

    @Benchmark
    public String canonicalize() throws CanonicalPath.BadPathException {
        return CanonicalPath.of(path);
    }
}
