package io.zkgate.gateway.routing;

import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Set;
import java.util.TreeSet;

/**
 * Matches requests to routes: routes for the request's exact host first, then host-less routes; within each, the
 * longest path prefix on a segment boundary whose route takes the method and whose header, query and cookie
 * conditions hold; at equal prefixes the route with more conditions first (a methods list counts one), then the one
 * created first, then the smaller id. Each host's routes are a {@link PathTrie}, so a lookup costs the request path's segments whatever
 * the number of routes, takes no lock and allocates nothing.
 *
 * <p>Two small indexes ride along, so that snapshot listeners need not walk every route on every publish: the
 * connect timeouts in use (counted per route) and the ids of the routes that ask for active health checks.
 *
 * <p>Immutable. {@link #with} makes a new table that shares every part the change does not touch.
 */
public final class RouteTable {
    private static final RouteTable EMPTY = new RouteTable(Map.of(), null, RouteList.EMPTY, Map.of(),
            Collections.emptyNavigableSet());

    private final Map<String, PathTrie.Node> byHost;
    /** Host-less routes, or null when there are none. */
    private final PathTrie.Node anyHost;
    private final RouteList all;
    /** Routes per connect timeout in use (-1: the gateway's default); unmodifiable. */
    private final Map<Long, Integer> connectTimeouts;
    /** Ids of the routes with a health check block, sorted; unmodifiable. */
    private final NavigableSet<String> healthChecked;

    private RouteTable(Map<String, PathTrie.Node> byHost, PathTrie.Node anyHost, RouteList all,
            Map<Long, Integer> connectTimeouts, NavigableSet<String> healthChecked) {
        this.byHost = byHost;
        this.anyHost = anyHost;
        this.all = all;
        this.connectTimeouts = connectTimeouts;
        this.healthChecked = healthChecked;
    }

    /** A table of {@code entries}, whose ids must be distinct. */
    public static RouteTable of(Collection<RouteEntry> entries) {
        return EMPTY.with(entries, List.of());
    }

    public static RouteTable empty() {
        return EMPTY;
    }

    /**
     * This table with {@code put} added (each replacing the entry of the same id, if any) and the entries of the
     * {@code removed} ids taken out; every part the change does not touch is shared with this table. The ids in
     * {@code put} must be distinct; {@code removed} is best a set.
     */
    public RouteTable with(Collection<RouteEntry> put, Collection<String> removed) {
        Draft draft = new Draft();
        RouteList list = all;
        boolean rebuildList = put.size() + removed.size() > Math.max(64, all.size() / 8);
        for (String id : removed) {
            RouteEntry old = all.byId(id);
            if (old != null) {
                draft.remove(old);
                list = rebuildList ? list : list.without(id);
            }
        }
        for (RouteEntry e : put) {
            RouteEntry old = removed.contains(e.id()) ? null : all.byId(e.id());
            if (old != null) {
                draft.remove(old);
            }
            draft.add(e);
            list = rebuildList ? list : list.with(e);
        }
        if (rebuildList) {
            Map<String, RouteEntry> byId = new HashMap<>();
            all.forEach(e -> byId.put(e.id(), e));
            removed.forEach(byId::remove);
            put.forEach(e -> byId.put(e.id(), e));
            list = RouteList.of(byId.values());
        }
        return new RouteTable(draft.hosts, draft.any, list, draft.connectTimeouts(), draft.healthChecked);
    }

    /** The tries of a table being made from this one; the host map is copied on its first change. */
    private final class Draft {
        private final PathTrie.Edit edit = new PathTrie.Edit();
        private Map<String, PathTrie.Node> hosts = byHost;
        private PathTrie.Node any = anyHost;
        private final Map<Long, Integer> timeoutDeltas = new HashMap<>(4);
        private NavigableSet<String> healthChecked = RouteTable.this.healthChecked;

        void add(RouteEntry e) {
            timeoutDeltas.merge(connectTimeout(e), 1, Integer::sum);
            if (e.route().healthCheck() != null && !healthChecked.contains(e.id())) {
                healthChecked = copyHealthChecked();
                healthChecked.add(e.id());
            }
            if (e.host() == null) {
                any = edit.add(any, e);
            } else {
                setHost(e.host(), edit.add(hosts.get(e.host()), e));
            }
        }

        void remove(RouteEntry e) {
            timeoutDeltas.merge(connectTimeout(e), -1, Integer::sum);
            if (e.route().healthCheck() != null && healthChecked.contains(e.id())) {
                healthChecked = copyHealthChecked();
                healthChecked.remove(e.id());
            }
            if (e.host() == null) {
                any = edit.remove(any, e);
            } else {
                setHost(e.host(), edit.remove(hosts.get(e.host()), e));
            }
        }

        private static long connectTimeout(RouteEntry e) {
            return e.upstream() == null ? -1 : e.upstream().connectTimeoutMs();
        }

        /** A modifiable copy on the first change; later changes of this draft edit that copy. */
        private NavigableSet<String> copyHealthChecked() {
            return healthChecked == RouteTable.this.healthChecked ? new TreeSet<>(healthChecked) : healthChecked;
        }

        /** The counts after this draft: shared with the table it came from when no count changed. */
        Map<Long, Integer> connectTimeouts() {
            Map<Long, Integer> next = null;
            for (Map.Entry<Long, Integer> d : timeoutDeltas.entrySet()) {
                if (d.getValue() == 0) {
                    continue;
                }
                if (next == null) {
                    next = new HashMap<>(RouteTable.this.connectTimeouts);
                }
                int n = next.getOrDefault(d.getKey(), 0) + d.getValue();
                if (n > 0) {
                    next.put(d.getKey(), n);
                } else {
                    next.remove(d.getKey());
                }
            }
            return next == null ? RouteTable.this.connectTimeouts : Map.copyOf(next);
        }

        private void setHost(String host, PathTrie.Node root) {
            if (hosts == byHost) {
                hosts = new HashMap<>(byHost);
            }
            if (root == null) {
                hosts.remove(host);
            } else {
                hosts.put(host, root);
            }
        }
    }

    /** {@link #match(String, String, String, RequestView)} among the routes without header, query or cookie conditions. */
    public RouteEntry match(String host, String path, String method) {
        return match(host, path, method, null);
    }

    /**
     * @param host    the request's host without port (any case), or null
     * @param path    the request path, without query
     * @param method  the request method
     * @param request what a route's header, query and cookie conditions read; null matches only routes without any
     * @return the matching route, or null
     */
    public RouteEntry match(String host, String path, String method, RequestView request) {
        if (host != null && !byHost.isEmpty()) {
            PathTrie.Node root = byHost.get(host);
            if (root == null) {
                root = byHost.get(host.toLowerCase(Locale.ROOT));
            }
            if (root != null) {
                RouteEntry e = PathTrie.find(root, path, 0, method, request);
                if (e != null) {
                    return e;
                }
            }
        }
        return anyHost == null ? null : PathTrie.find(anyHost, path, 0, method, request);
    }

    /**
     * The methods the routes whose prefix takes {@code path} allow, for a request no route matched: not empty means
     * the path is served, but not for that method (405 with this Allow list rather than 404). Only routes whose
     * header, query and cookie conditions hold for {@code request} count (null: only routes without conditions).
     */
    public Set<String> allowedMethods(String host, String path, RequestView request) {
        Set<String> allowed = new TreeSet<>();
        if (host != null && !byHost.isEmpty()) {
            PathTrie.Node root = byHost.get(host);
            if (root == null) {
                root = byHost.get(host.toLowerCase(Locale.ROOT));
            }
            if (root != null) {
                PathTrie.methodsAlong(root, path, 0, request, allowed);
            }
        }
        if (anyHost != null) {
            PathTrie.methodsAlong(anyHost, path, 0, request, allowed);
        }
        return allowed;
    }

    /** Every route in the table, by id. */
    public List<RouteEntry> entries() {
        return all;
    }

    /** The connect timeouts (ms; -1 for the gateway's default) at least one route uses. */
    public Set<Long> connectTimeouts() {
        return connectTimeouts.keySet();
    }

    /** The ids of the routes that ask for active health checks, sorted. */
    public NavigableSet<String> healthCheckedIds() {
        return Collections.unmodifiableNavigableSet(healthChecked);
    }

    /** The route with {@code id}, or null. */
    public RouteEntry entry(String id) {
        return all.byId(id);
    }
}
