package io.zkgate.loadtest;

import io.zkgate.gateway.routing.RouteEntry;
import io.zkgate.gateway.routing.RouteTable;
import io.zkgate.schema.Route;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
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

/**
 * One route lookup, {@code RouteTable.match(host, path, method)}, as the proxy makes it per request, over a table of
 * {@code routes} routes: two-segment prefixes ({@code /team-7/svc-123}) under 100 first segments, one route in four
 * method-specific (GET) with an any-method twin at the same prefix, one in ten for a host of its own, plus a root
 * route. Requests cycle through 1,024 paths of 3 to 6 segments that hit a random route (a few reach only the root
 * route), with the host {@code api.example.com} (which has routes of its own) and method GET or POST.
 *
 * <p>State is per trial and never changes during measurement. Thread-safe as the table is.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Benchmark)
public class RouteLookupBenchmark {
    private static final int PATHS = 1024; // a power of two: the cursor is masked, not divided

    @Param({"10", "10000"})
    public int routes;

    private RouteTable table;
    private String[] paths;
    private String[] methods;

    /** Each thread walks the paths from its own position. */
    @State(Scope.Thread)
    public static class Cursor {
        int next;
    }

    @Setup
    public void setUp() {
        List<RouteEntry> entries = new ArrayList<>();
        entries.add(entry("root", null, "/", Set.of()));
        for (int i = 0; entries.size() < routes; i++) {
            String prefix = "/team-" + i % 100 + "/svc-" + i;
            String host = i % 10 == 3 ? "api.example.com" : null;
            entries.add(entry("r" + i, host, prefix, Set.of()));
            if (i % 4 == 1 && entries.size() < routes) {
                entries.add(entry("r" + i + "-get", host, prefix, Set.of("GET")));
            }
        }
        table = RouteTable.of(entries);
        SplittableRandom random = new SplittableRandom(16);
        int prefixes = Math.max(1, routes * 4 / 5);
        paths = new String[PATHS];
        methods = new String[PATHS];
        for (int p = 0; p < PATHS; p++) {
            int i = random.nextInt(prefixes);
            StringBuilder path = new StringBuilder("/team-" + i % 100 + "/svc-" + (p % 50 == 0 ? "x" : i));
            int extra = 1 + random.nextInt(4);
            for (int s = 0; s < extra; s++) {
                path.append('/').append(s % 2 == 0 ? "orders" : Integer.toString(random.nextInt(100_000)));
            }
            paths[p] = path.toString();
            methods[p] = random.nextBoolean() ? "GET" : "POST";
        }
    }

    @Benchmark
    public RouteEntry match(Cursor cursor) {
        int i = cursor.next++ & (PATHS - 1);
        return table.match("api.example.com", paths[i], methods[i]);
    }

    private static RouteEntry entry(String id, String host, String prefix, Set<String> methods) {
        Route r = new Route(id, new Route.Match(host, prefix, methods), "svc", false, null, null, null, null);
        return new RouteEntry(r, 0, null, null, null, null);
    }
}
