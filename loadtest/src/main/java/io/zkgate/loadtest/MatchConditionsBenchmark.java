package io.zkgate.loadtest;

import io.zkgate.gateway.routing.MatchConditions;
import io.zkgate.gateway.routing.RequestView;
import io.zkgate.gateway.routing.RouteEntry;
import io.zkgate.gateway.routing.RouteTable;
import io.zkgate.schema.Route;
import java.util.List;
import java.util.Set;
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
 * One route lookup with the request, {@code RouteTable.match(host, path, method, request)}, at a prefix that holds a
 * route with a header condition beside a default route, against the same lookup with no condition at that prefix:
 * {@code kind = none} (the default route alone), {@code exact} ({@code X-Env} exact {@code canary-42}), {@code regex}
 * ({@code X-Env} regex {@code ^canary-[0-9]+$}, RE2/J). The request carries {@code X-Env: canary-42} among eight
 * headers, so the conditional route matches. State never changes during measurement; thread-safe as the table is.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Benchmark)
public class MatchConditionsBenchmark {
    @Param({"none", "exact", "regex"})
    public String kind;

    private RouteTable table;
    private RequestView request;

    @Setup
    public void setUp() {
        Route plain = new Route("default", new Route.Match(null, "/api/orders", Set.of()), "svc", false, null, null,
                null, null);
        Route.Condition condition = switch (kind) {
            case "exact" -> new Route.Condition("X-Env", "canary-42", null, null);
            case "regex" -> new Route.Condition("X-Env", null, "^canary-[0-9]+$", null);
            default -> null;
        };
        RouteEntry other = new RouteEntry(plain, 0, null, null, null, null);
        if (condition == null) {
            table = RouteTable.of(List.of(other));
        } else {
            Route conditional = new Route("canary", new Route.Match(null, "/api/orders", Set.of(), List.of(condition),
                    List.of(), List.of()), "svc", false, null, null, null, null);
            table = RouteTable.of(List.of(other, new RouteEntry(conditional, 0, null, null, null, null,
                    new RouteEntry.Traffic(MatchConditions.of(conditional), 1, null))));
        }
        request = new Request();
    }

    @Benchmark
    public RouteEntry match() {
        return table.match("gw.example.com", "/api/orders/7", "GET", request);
    }

    /** A request with eight headers, found by a case-insensitive scan as a front door's view finds them. */
    private static final class Request implements RequestView {
        private static final String[] NAMES = {"Host", "User-Agent", "Accept", "Accept-Encoding", "X-Request-Id",
            "X-User-Id", "X-Env", "Connection"};
        private static final String[] VALUES = {"gw.example.com", "bench/1.0", "*/*", "gzip", "7f3a", "4242",
            "canary-42", "keep-alive"};

        @Override
        public String method() {
            return "GET";
        }

        @Override
        public String host() {
            return "gw.example.com";
        }

        @Override
        public String path() {
            return "/api/orders/7";
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
            for (int i = 0; i < NAMES.length; i++) {
                if (NAMES[i].equalsIgnoreCase(name)) {
                    return VALUES[i];
                }
            }
            return null;
        }

        @Override
        public List<String> headerValues(String name) {
            String v = header(name);
            return v == null ? List.of() : List.of(v);
        }

        @Override
        public long contentLength() {
            return -1;
        }
    }
}
