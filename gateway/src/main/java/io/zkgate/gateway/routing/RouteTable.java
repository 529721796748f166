package io.zkgate.gateway.routing;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Matches requests to routes: routes for the request's exact host first, then host-less routes; within each, the
 * longest path prefix on a segment boundary; at equal prefixes a route with a method set before one without.
 * Candidates are pre-sorted arrays scanned in order, so a lookup takes no lock and allocates nothing.
 * Immutable.
 */
public final class RouteTable {
    private static final RouteEntry[] NONE = new RouteEntry[0];
    private static final Comparator<RouteEntry> MOST_SPECIFIC_FIRST =
            Comparator.comparingInt((RouteEntry e) -> e.prefix().length()).reversed()
                    .thenComparing(e -> e.hasMethods() ? 0 : 1)
                    .thenComparing(RouteEntry::id);

    private final Map<String, RouteEntry[]> byHost;
    private final RouteEntry[] anyHost;
    private final List<RouteEntry> all;

    private RouteTable(Map<String, RouteEntry[]> byHost, RouteEntry[] anyHost, List<RouteEntry> all) {
        this.byHost = byHost;
        this.anyHost = anyHost;
        this.all = all;
    }

    public static RouteTable of(Collection<RouteEntry> entries) {
        Map<String, List<RouteEntry>> hosts = new HashMap<>();
        List<RouteEntry> any = new ArrayList<>();
        for (RouteEntry e : entries) {
            if (e.host() == null) {
                any.add(e);
            } else {
                hosts.computeIfAbsent(e.host(), h -> new ArrayList<>()).add(e);
            }
        }
        Map<String, RouteEntry[]> byHost = new HashMap<>();
        hosts.forEach((h, list) -> byHost.put(h, sorted(list)));
        List<RouteEntry> all = new ArrayList<>(entries);
        all.sort(Comparator.comparing(RouteEntry::id));
        return new RouteTable(Map.copyOf(byHost), sorted(any), List.copyOf(all));
    }

    public static RouteTable empty() {
        return new RouteTable(Map.of(), NONE, List.of());
    }

    /**
     * @param host   the request's host without port (any case), or null
     * @param path   the request path, without query
     * @param method the request method
     * @return the matching route, or null
     */
    public RouteEntry match(String host, String path, String method) {
        if (host != null && !byHost.isEmpty()) {
            RouteEntry[] candidates = byHost.get(host);
            if (candidates == null) {
                candidates = byHost.get(host.toLowerCase(Locale.ROOT));
            }
            if (candidates != null) {
                RouteEntry e = scan(candidates, path, method);
                if (e != null) {
                    return e;
                }
            }
        }
        return scan(anyHost, path, method);
    }

    /** Every route in the table, by id. */
    public List<RouteEntry> entries() {
        return all;
    }

    private static RouteEntry scan(RouteEntry[] candidates, String path, String method) {
        for (RouteEntry e : candidates) {
            if (e.matchesPath(path) && e.matchesMethod(method)) {
                return e;
            }
        }
        return null;
    }

    private static RouteEntry[] sorted(List<RouteEntry> list) {
        RouteEntry[] a = list.toArray(NONE);
        java.util.Arrays.sort(a, MOST_SPECIFIC_FIRST);
        return a;
    }
}
