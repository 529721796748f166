package io.zkgate.loadtest;

import com.github.benmanes.caffeine.cache.Ticker;
import io.zkgate.gateway.fleet.FleetSize;
import io.zkgate.gateway.limits.ConcurrencyGuard;
import io.zkgate.gateway.limits.RateLimitGuard;
import io.zkgate.gateway.limits.RateLimiter;
import io.zkgate.gateway.routing.Decision;
import io.zkgate.gateway.routing.HeaderEdits;
import io.zkgate.gateway.routing.RequestView;
import io.zkgate.schema.TrafficLimits;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * A rate-limit check for a key the limiter already holds, as the gateway makes it per request, and a concurrency
 * cap's check and release. {@code existingKey}: {@link RateLimiter#take} for one of 1,024 16-character keys, all in
 * the limiter's Caffeine cache, at a rate that never refuses. {@code guardCheck}: the whole {@link RateLimitGuard}
 * step, reading the key from the request's {@code X-Api-Key} header. {@code routeKey}: the single bucket of
 * {@code key: route}, which every thread of a run shares. {@code concurrencyCap}: a {@link ConcurrencyGuard} check
 * and its release. Run with {@code -prof gc} for B/op.
 * State is per trial; threads share the limiters as the gateway's event loops do.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Benchmark)
public class RateLimitBenchmark {
    private static final int KEYS = 1024; // a power of two: the cursor is masked

    private RateLimiter keyed;
    private RateLimiter route;
    private RateLimitGuard guard;
    private ConcurrencyGuard cap;
    private String[] keys;
    private Request[] requests;

    /** Each thread walks the keys from its own position. */
    @State(Scope.Thread)
    public static class Cursor {
        int next;
        final HeaderEdits headers = new HeaderEdits();
    }

    @Setup
    public void setUp() {
        TrafficLimits.RateLimit perKey = new TrafficLimits.RateLimit(1_000_000, 10_000_000,
                TrafficLimits.Key.parse("header:X-Api-Key"), TrafficLimits.Scope.GATEWAY);
        TrafficLimits.RateLimit perRoute = new TrafficLimits.RateLimit(1_000_000, 10_000_000,
                TrafficLimits.Key.parse("route"), TrafficLimits.Scope.GATEWAY);
        FleetSize fleet = new FleetSize();
        keyed = new RateLimiter(perKey, fleet, 100_000, Ticker.systemTicker());
        route = new RateLimiter(perRoute, fleet, 100_000, Ticker.systemTicker());
        guard = new RateLimitGuard(List.of(new RateLimiter(perKey, fleet, 100_000, Ticker.systemTicker())), null);
        cap = new ConcurrencyGuard(1_000_000, new AtomicInteger(), null);
        keys = new String[KEYS];
        requests = new Request[KEYS];
        for (int i = 0; i < KEYS; i++) {
            keys[i] = String.format("key-%012d", i * 7919);
            requests[i] = new Request(keys[i]);
            keyed.take(keys[i], System.nanoTime());
            guard.check(requests[i], null, new HeaderEdits());
        }
    }

    @Benchmark
    public long existingKey(Cursor cursor) {
        return keyed.take(keys[cursor.next++ & (KEYS - 1)], System.nanoTime());
    }

    @Benchmark
    public Decision guardCheck(Cursor cursor) {
        return guard.check(requests[cursor.next++ & (KEYS - 1)], null, cursor.headers);
    }

    @Benchmark
    public long routeKey() {
        return route.take(null, System.nanoTime());
    }

    @Benchmark
    public Decision concurrencyCap(Cursor cursor) {
        Decision d = cap.check(requests[0], null, cursor.headers);
        cap.ended();
        return d;
    }

    /** A request carrying one API key; nothing else is read. */
    private record Request(String apiKey) implements RequestView {
        @Override
        public String method() {
            return "GET";
        }

        @Override
        public String host() {
            return null;
        }

        @Override
        public String path() {
            return "/api";
        }

        @Override
        public String query() {
            return null;
        }

        @Override
        public String clientAddress() {
            return "127.0.0.1";
        }

        @Override
        public String header(String name) {
            return apiKey;
        }

        @Override
        public List<String> headerValues(String name) {
            return List.of(apiKey);
        }

        @Override
        public long contentLength() {
            return -1;
        }
    }
}
