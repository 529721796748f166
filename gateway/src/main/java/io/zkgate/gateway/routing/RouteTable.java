package io.zkgate.gateway.routing;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Matches requests to routes: routes for the request's exact host first, then host-less routes; within each, the
 * longest path prefix on a segment boundary whose route takes the method and whose header, query and cookie
 * conditions hold; at equal prefixes the route with more conditions first (a methods list counts one), then the one
 * created first, then the smaller id. Each host's routes are a {@link PathTrie}, so a lookup costs the request path's segments whatever
 * the number of routes, takes no lock and allocates nothing.
 *
 * <p>Small indexes ride along, so that snapshot listeners need not walk every route on every publish: the ids of
 * the routes of each {@link RouteIndex} kind.
 *
 * <p>Immutable. {@link #with} makes a new table that shares every part the change does not touch.
 */
public final class RouteTable {
    private static final RouteIndex[] KINDS = RouteIndex.values();
    private static final RouteTable EMPTY = new RouteTable(Map.of(), null, RouteList.EMPTY, emptyIndexes());

    private final Map<String, PathTrie.Node> byHost;
    /** Host-less routes, or null when there are none. */
    private final PathTrie.Node anyHost;
    private final RouteList all;
    /** The ids of each kind's routes, sorted; never modified once the table is made. */
    private final Map<RouteIndex, NavigableSet<String>> indexes;

    private RouteTable(Map<String, PathTrie.Node> byHost, PathTrie.Node anyHost, RouteList all,
            Map<RouteIndex, NavigableSet<String>> indexes) {
        this.byHost = byHost;
        this.anyHost = anyHost;
        this.all = all;
        this.indexes = indexes;
    }

    private static Map<RouteIndex, NavigableSet<String>> emptyIndexes() {
        Map<RouteIndex, NavigableSet<String>> m = new EnumMap<>(RouteIndex.class);
        for (RouteIndex kind : RouteIndex.values()) {
            m.put(kind, Collections.emptyNavigableSet());
        }
        return m;
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
        List<RouteEntry> replacing = new ArrayList<>();
        for (RouteEntry e : put) {
            RouteEntry old = removed.contains(e.id()) ? null : all.byId(e.id());
            if (old == null) {
                draft.add(e);
                list = rebuildList ? list : list.with(e);
            } else {
                draft.replace(old, e);
                replacing.add(e);
            }
        }
        if (rebuildList) {
            Map<String, RouteEntry> byId = new HashMap<>();
            all.forEach(e -> byId.put(e.id(), e));
            removed.forEach(byId::remove);
            put.forEach(e -> byId.put(e.id(), e));
            list = RouteList.of(byId.values());
        } else {
            list = list.replacing(replacing);
        }
        return new RouteTable(draft.hosts, draft.any, list, draft.indexes());
    }

    /** The tries of a table being made from this one; the host map is copied on its first change. */
    private final class Draft {
        private final PathTrie.Edit edit = new PathTrie.Edit();
        private Map<String, PathTrie.Node> hosts = byHost;
        private PathTrie.Node any = anyHost;
        /** The indexes this draft changed: copies of this table's, edited in place. */
        private final Map<RouteIndex, NavigableSet<String>> changedIndexes = new EnumMap<>(RouteIndex.class);

        void add(RouteEntry e) {
            for (RouteIndex kind : KINDS) {
                if (kind.holds(e) && !index(kind).contains(e.id())) {
                    editable(kind).add(e.id());
                }
            }
            if (e.host() == null) {
                any = edit.add(any, e);
            } else {
                setHost(e.host(), edit.add(hosts.get(e.host()), e));
            }
        }

        void remove(RouteEntry e) {
            for (RouteIndex kind : KINDS) {
                if (kind.holds(e) && index(kind).contains(e.id())) {
                    editable(kind).remove(e.id());
                }
            }
            if (e.host() == null) {
                any = edit.remove(any, e);
            } else {
                setHost(e.host(), edit.remove(hosts.get(e.host()), e));
            }
        }

        /** {@code e} in place of {@code old}, of the same id: where the match is the same, in one walk of the trie. */
        void replace(RouteEntry old, RouteEntry e) {
            if (!Objects.equals(old.host(), e.host()) || !old.prefix().equals(e.prefix())) {
                remove(old);
                add(e);
                return;
            }
            for (RouteIndex kind : KINDS) {
                if (kind.holds(old) != kind.holds(e)) {
                    if (kind.holds(e)) {
                        editable(kind).add(e.id());
                    } else {
                        editable(kind).remove(e.id());
                    }
                }
            }
            if (e.host() == null) {
                any = edit.replace(any, old, e);
            } else {
                setHost(e.host(), edit.replace(hosts.get(e.host()), old, e));
            }
        }

        private NavigableSet<String> index(RouteIndex kind) {
            NavigableSet<String> changed = changedIndexes.get(kind);
            return changed != null ? changed : indexes.get(kind);
        }

        /** A modifiable copy on the first change; later changes of this draft edit that copy. */
        private NavigableSet<String> editable(RouteIndex kind) {
            return changedIndexes.computeIfAbsent(kind, k -> new TreeSet<>(indexes.get(k)));
        }

        /** The indexes after this draft: those no change touched are shared with the table it came from. */
        Map<RouteIndex, NavigableSet<String>> indexes() {
            if (changedIndexes.isEmpty()) {
                return indexes;
            }
            Map<RouteIndex, NavigableSet<String>> next = new EnumMap<>(indexes);
            changedIndexes.forEach((kind, ids) -> {
                if (!ids.equals(indexes.get(kind))) { // a route replaced by one of the same kind changes nothing
                    next.put(kind, Collections.unmodifiableNavigableSet(ids));
                }
            });
            return next;
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

    /** The ids of the routes of {@code kind}, sorted; unmodifiable. */
    public NavigableSet<String> ids(RouteIndex kind) {
        return indexes.get(kind);
    }

    /** The route with {@code id}, or null. */
    public RouteEntry entry(String id) {
        return all.byId(id);
    }
}
