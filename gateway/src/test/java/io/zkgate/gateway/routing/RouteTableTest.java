package io.zkgate.gateway.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.schema.Route;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RouteTableTest {
    private static final String[] SEGMENTS = {"a", "b", "ab", "api", "v1", "x.y", "%41", ""};
    private static final String[] HOSTS = {null, null, "a.example", "b.example"};
    private static final String[] METHODS = {"GET", "POST", "PUT", "DELETE"};

    @Test
    void hostThenLongestPrefixOnSegmentBoundariesThenMethodSpecificRoutesWin() {
        RouteTable t = RouteTable.of(List.of(entry("root", null, "/"), entry("api", null, "/api"),
                entry("apiGet", null, "/api/", "GET"), entry("orders", null, "/api/orders"),
                entry("hostApi", "api.example", "/api"), entry("hostRoot", "api.example", "/")));

        assertEquals("orders", t.match(null, "/api/orders/7", "GET").id());
        assertEquals("apiGet", t.match(null, "/api/ordersx", "GET").id(), "not on a segment boundary");
        assertEquals("api", t.match(null, "/api/ordersx", "POST").id());
        assertEquals("apiGet", t.match(null, "/api", "GET").id());
        assertEquals("root", t.match(null, "/apix", "GET").id());
        assertEquals("root", t.match(null, "no-slash", "GET").id());
        assertEquals("hostApi", t.match("API.example", "/api/orders", "GET").id(), "exact host first, any case");
        assertEquals("hostRoot", t.match("api.example", "/other", "GET").id());
        assertEquals("orders", t.match("other.example", "/api/orders", "GET").id());
    }

    @Test
    void aTableWithoutARootRouteMatchesNothingOutsideItsPrefixes() {
        RouteTable t = RouteTable.of(List.of(entry("a", null, "/a", "GET")));
        assertNull(t.match(null, "/a", "POST"));
        assertNull(t.match(null, "/", "GET"));
        assertNull(t.match(null, "", "GET"));
        assertNull(RouteTable.empty().match("h", "/a", "GET"));
    }

    @Test
    void theIndexAnswersAsAScanOfEveryRouteDoesOverThousandsOfRandomTablesAndPaths() {
        Random random = new Random(16);
        for (int table = 0; table < 3_000; table++) {
            List<RouteEntry> entries = randomEntries(random, 1 + random.nextInt(table % 10 == 0 ? 300 : 30));
            RouteTable t = RouteTable.of(entries);
            List<RouteEntry> sorted = scanOrder(entries);
            for (int p = 0; p < 50; p++) {
                String host = random.nextInt(4) == 0 ? "A.example" : HOSTS[random.nextInt(HOSTS.length)];
                String path = randomPath(random);
                String method = METHODS[random.nextInt(METHODS.length)];
                assertSame(scan(sorted, host, path, method), t.match(host, path, method),
                        () -> host + " " + method + " " + path + " in " + entries);
            }
            assertEquals(entries.stream().sorted(Comparator.comparing(RouteEntry::id)).toList(), t.entries());
        }
    }

    @Test
    void aTableMadeByChangesAnswersAsOneBuiltFromScratchAndLeavesTheOriginalAsItWas() {
        Random random = new Random(61);
        for (int round = 0; round < 300; round++) {
            Map<String, RouteEntry> current = byId(randomEntries(random, random.nextInt(200)));
            RouteTable t = RouteTable.of(current.values());
            for (int step = 0; step < 10; step++) {
                Map<String, RouteEntry> before = new LinkedHashMap<>(current);
                RouteTable previous = t;
                List<RouteEntry> put = new ArrayList<>();
                Set<String> removed = new HashSet<>();
                int changes = 1 + random.nextInt(random.nextInt(10) == 0 ? 100 : 4);
                List<String> ids = new ArrayList<>(current.keySet());
                for (int c = 0; c < changes; c++) {
                    if (!ids.isEmpty() && random.nextInt(3) == 0) {
                        String id = ids.remove(random.nextInt(ids.size()));
                        removed.add(id);
                        current.remove(id);
                    } else {
                        String id = random.nextInt(2) == 0 && !ids.isEmpty()
                                ? ids.remove(random.nextInt(ids.size())) : "n" + round + "-" + step + "-" + c;
                        RouteEntry old = current.get(id);
                        // Half the replacements keep the route's host and prefix, as an instance event's new entry
                        // does (its methods may change, and with them its place among the routes at that prefix)
                        RouteEntry e = old != null && random.nextBoolean()
                                ? entry(id, old.host(), old.prefix(), randomMethods(random))
                                : randomEntry(random, id);
                        put.add(e);
                        current.put(id, e);
                    }
                }
                t = t.with(put, removed);
                assertAnswersLike(random, List.copyOf(current.values()), t);
                assertAnswersLike(random, List.copyOf(before.values()), previous);
            }
        }
    }

    @Test
    void removingSiblingsOneByOneLeavesEveryOtherSiblingReachable() {
        Random random = new Random(67);
        List<RouteEntry> siblings = new ArrayList<>();
        for (int i = 0; i < 1_500; i++) { // one node with 1,500 children: long probe runs in its table
            siblings.add(entry("s" + i, null, "/team/s" + i));
        }
        Map<String, RouteEntry> current = byId(siblings);
        RouteTable t = RouteTable.of(current.values());
        List<String> order = new ArrayList<>(current.keySet());
        Collections.shuffle(order, random);
        for (int i = 0; i < order.size(); i++) {
            String gone = order.get(i);
            current.remove(gone);
            t = t.with(List.of(), Set.of(gone));
            assertNull(t.match(null, "/team/" + gone + "/x", "GET"), gone + " is gone");
            if (i % 50 == 0 || i > order.size() - 20) {
                for (RouteEntry e : current.values()) {
                    assertSame(e, t.match(null, e.prefix() + "/x", "GET"), e.id() + " after removing " + gone);
                }
            }
        }
        assertTrue(t.entries().isEmpty());
    }

    private static void assertAnswersLike(Random random, List<RouteEntry> entries, RouteTable t) {
        List<RouteEntry> sorted = scanOrder(entries);
        for (int p = 0; p < 40; p++) {
            String host = HOSTS[random.nextInt(HOSTS.length)];
            String path = randomPath(random);
            String method = METHODS[random.nextInt(METHODS.length)];
            assertSame(scan(sorted, host, path, method), t.match(host, path, method), () -> host + " " + path);
        }
        assertEquals(entries.stream().sorted(Comparator.comparing(RouteEntry::id)).toList(), t.entries());
        for (RouteEntry e : entries) {
            assertSame(e, t.entry(e.id()));
        }
    }

    /** Routes in the order the reference scans them: longest prefix first, method-specific first, then by id. */
    private static List<RouteEntry> scanOrder(List<RouteEntry> entries) {
        return entries.stream().sorted(Comparator.comparingInt((RouteEntry e) -> e.prefix().length()).reversed()
                .thenComparing(e -> e.hasMethods() ? 0 : 1).thenComparing(RouteEntry::id)).toList();
    }

    /** The reference: the first of every route in scan order, exact host ones before host-less ones. */
    private static RouteEntry scan(List<RouteEntry> sorted, String host, String path, String method) {
        if (host != null) {
            for (RouteEntry e : sorted) {
                if (host.equalsIgnoreCase(String.valueOf(e.host())) && e.matchesPath(path) && e.matchesMethod(method)) {
                    return e;
                }
            }
        }
        for (RouteEntry e : sorted) {
            if (e.host() == null && e.matchesPath(path) && e.matchesMethod(method)) {
                return e;
            }
        }
        return null;
    }

    private static List<RouteEntry> randomEntries(Random random, int n) {
        List<RouteEntry> entries = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            entries.add(randomEntry(random, "r" + i));
        }
        return entries;
    }

    private static RouteEntry randomEntry(Random random, String id) {
        StringBuilder prefix = new StringBuilder();
        int depth = random.nextInt(5);
        for (int d = 0; d < depth; d++) {
            String s = SEGMENTS[random.nextInt(SEGMENTS.length - 1)];
            prefix.append('/').append(s);
        }
        if (prefix.length() == 0 || random.nextInt(4) == 0) {
            prefix.append('/');
        }
        return entry(id, HOSTS[random.nextInt(HOSTS.length)], prefix.toString(), randomMethods(random));
    }

    /** None (any method) two times in three, else a random subset. */
    private static String[] randomMethods(Random random) {
        List<String> methods = new ArrayList<>();
        if (random.nextInt(3) == 0) {
            for (String m : METHODS) {
                if (random.nextBoolean()) {
                    methods.add(m);
                }
            }
        }
        return methods.toArray(new String[0]);
    }

    private static String randomPath(Random random) {
        StringBuilder path = new StringBuilder();
        int depth = random.nextInt(7);
        for (int d = 0; d < depth; d++) {
            path.append('/').append(SEGMENTS[random.nextInt(SEGMENTS.length)]);
            if (random.nextInt(10) == 0) {
                path.append("z");
            }
        }
        return switch (random.nextInt(10)) {
            case 0 -> path + "/";
            case 1 -> path.length() > 0 ? path.substring(1) : "";
            default -> path.length() == 0 ? "/" : path.toString();
        };
    }

    private static Map<String, RouteEntry> byId(List<RouteEntry> entries) {
        Map<String, RouteEntry> m = new HashMap<>();
        entries.forEach(e -> m.put(e.id(), e));
        return m;
    }

    static RouteEntry entry(String id, String host, String prefix, String... methods) {
        Route r = new Route(id, new Route.Match(host, prefix, Set.of(methods)), "svc", false, null, null, null, null);
        return new RouteEntry(r, 0, null, null, null, null);
    }
}
