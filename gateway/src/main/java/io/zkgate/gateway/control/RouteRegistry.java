package io.zkgate.gateway.control;

import io.zkgate.schema.Route;
import io.zkgate.schema.RouteCodec;
import io.zkgate.schema.RouteConflicts;
import io.zkgate.schema.ValidationException;
import io.zkgate.schema.ZnodeLayout;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the gateway knows of the route znodes: each route's state (the version served, the refused edit and why),
 * validation, last-good retention, duplicate-match conflicts (first created wins) and the routes zxid. It records
 * which routes changed what they serve, so that only those are rebuilt. Knows nothing of ZooKeeper beyond the
 * {@link ChildData} it is handed. Not thread-safe: confined to the control thread.
 */
final class RouteRegistry {
    private static final Logger log = LoggerFactory.getLogger(RouteRegistry.class);

    private final String routesPath;
    private final Map<String, RouteState> routes = new HashMap<>();
    /** The states in {@link #routes} whose latest znode was refused, by id: asked for after every publish. */
    private final TreeMap<String, RouteState> refused = new TreeMap<>();
    private final RouteMatchIndex matches = new RouteMatchIndex();
    private final Map<String, ChildData> beforeSync = new HashMap<>();
    /** Routes whose served version changed (applied, replaced or gone) since {@link #drainChanged()}. */
    private Set<String> changed = new LinkedHashSet<>();
    private boolean synced;
    /** Highest zxid of a route change (edit, create or delete) applied. */
    private long zxid;

    RouteRegistry(String routesPath) {
        this.routesPath = routesPath;
    }

    /** A route znode was created or changed; before {@link #sync()} it is only remembered. */
    void put(String id, ChildData data) {
        if (!synced) {
            beforeSync.put(id, data);
            return;
        }
        RouteState prev = routes.get(id);
        if (prev != null && data.getStat() != null && prev.latest().getStat() != null
                && prev.latest().getStat().getMzxid() == data.getStat().getMzxid()) {
            return; // this very write was handled: the watch reading what a batched read already applied
        }
        upsert(id, data);
    }

    /**
     * A route znode was deleted.
     *
     * @param parentPzxid the routes parent's pzxid as the cache now has it (the zxid of the deletion), or 0
     */
    void remove(String id, String path, long parentPzxid) {
        if (!synced) {
            beforeSync.remove(id);
            return;
        }
        zxid = Math.max(zxid, parentPzxid);
        RouteState gone = routes.remove(id);
        refused.remove(id);
        log.info("route {} removed (znode {} deleted)", id, path);
        if (gone != null && gone.applied() != null) {
            matches.remove(id, gone.applied());
            changed.add(id);
            recheckRefused();
        }
    }

    /**
     * The routes root's children and pzxid, read from ZooKeeper after a deletion (the watch's copy of the root does
     * not follow deletions, so its pzxid is stale). When the children are exactly the routes held, every creation and
     * deletion up to that pzxid is applied and it becomes the routes zxid; otherwise an event still on its way will
     * move it.
     */
    void rootRead(Collection<String> ids, long pzxid) {
        if (synced && ids.size() == routes.size() && routes.keySet().containsAll(ids)) {
            zxid = Math.max(zxid, pzxid);
        }
    }

    /**
     * Removes every route whose znode is not {@code present} (see {@link ServiceRegistry#retainOnly}).
     *
     * @param parentPzxid the routes parent's pzxid as the watch read it
     */
    void retainOnly(Predicate<String> present, long parentPzxid) {
        List<String> gone = new ArrayList<>();
        for (String id : routes.keySet()) {
            if (!present.test(routesPath + "/" + id)) {
                gone.add(id);
            }
        }
        gone.forEach(id -> remove(id, routesPath + "/" + id, parentPzxid));
    }

    /** The initial read is complete: applies what was read, in creation order (first created wins a clash). */
    void sync() {
        List<Map.Entry<String, ChildData>> initial = new ArrayList<>(beforeSync.entrySet());
        initial.sort(Comparator.comparingLong(e -> e.getValue().getStat().getCzxid()));
        synced = true;
        for (Map.Entry<String, ChildData> e : initial) {
            upsert(e.getKey(), e.getValue());
        }
        beforeSync.clear();
        log.info("routes synced from {}: {} applied, {} refused", routesPath,
                routes.values().stream().filter(s -> s.applied() != null).count(),
                refused.size());
    }

    boolean synced() {
        return synced;
    }

    /** Highest zxid of a route edit, creation or deletion that what is served reflects. */
    long zxid() {
        return zxid;
    }

    /** The state of route {@code id}, or null. */
    RouteState state(String id) {
        return routes.get(id);
    }

    /** Every route's state, in no particular order; a live view, not to be kept. */
    Collection<RouteState> states() {
        return routes.values();
    }

    /** Every route's state by id, sorted, as an immutable copy. */
    Map<String, RouteState> sortedStates() {
        return Map.copyOf(new TreeMap<>(routes));
    }

    /** The states of the routes whose latest znode was refused, sorted by id, as an immutable copy. */
    Map<String, RouteState> rejectedStates() {
        return Collections.unmodifiableMap(new TreeMap<>(refused));
    }

    /** The routes whose served version changed since the last call; the caller owns the returned set. */
    Set<String> drainChanged() {
        Set<String> out = changed;
        changed = new LinkedHashSet<>();
        return out;
    }

    /** Marks the served routes that name one of {@code scripts} as changed: their script is bound anew. */
    void markNaming(Set<String> scripts) {
        for (RouteState s : routes.values()) {
            if (s.applied() != null && s.applied().script() != null && scripts.contains(s.applied().script())) {
                changed.add(s.id());
            }
        }
    }

    private void upsert(String id, ChildData data) {
        RouteState prev = routes.get(id);
        int znodeVersion = data.getStat() == null ? -1 : data.getStat().getVersion();
        byte[] bytes = data.getData() == null ? new byte[0] : data.getData();
        Route route;
        try {
            route = RouteCodec.parse(data.getPath(), bytes, id);
        } catch (ValidationException e) {
            refuse(id, prev, data, e.getMessage());
            return;
        }
        String tlsProblem = UpstreamTlsCheck.problem(route);
        if (tlsProblem != null) {
            refuse(id, prev, data, data.getPath() + ": " + tlsProblem);
            return;
        }
        String clash = matches.clashing(id, route, other -> routes.get(other).applied());
        if (clash != null) {
            refuse(id, prev, data, data.getPath() + ": match: duplicate match ("
                    + RouteConflicts.describe(route.match()) + ") of route '" + clash + "'");
            return;
        }
        long mzxid = data.getStat() == null ? 0 : data.getStat().getMzxid();
        zxid = Math.max(zxid, mzxid);
        store(prev, new RouteState(id, route, znodeVersion, mzxid, data, null));
        if (prev == null || prev.applied() == null || prev.appliedVersion() != znodeVersion) {
            log.info("route {} applied: znode {} version {} ({} -> service {}, {})", id, data.getPath(), znodeVersion,
                    RouteConflicts.describe(route.match()), route.describeServices(), route.policy().wireName());
        }
    }

    private void refuse(String id, RouteState prev, ChildData data, String reason) {
        Route kept = prev == null ? null : prev.applied();
        int keptVersion = prev == null ? -1 : prev.appliedVersion();
        store(prev, new RouteState(id, kept, keptVersion, prev == null ? 0 : prev.appliedZxid(), data, reason));
        log.warn("route znode {} version {} refused: {}; {}", data.getPath(),
                data.getStat() == null ? -1 : data.getStat().getVersion(), reason,
                kept == null ? "route not served" : "still serving version " + keptVersion);
    }

    private void store(RouteState prev, RouteState next) {
        routes.put(next.id(), next);
        if (next.rejection() != null) {
            refused.put(next.id(), next);
        } else {
            refused.remove(next.id());
        }
        Route before = prev == null ? null : prev.applied();
        if (before == next.applied()) {
            return;
        }
        if (before != null) {
            matches.remove(prev.id(), before);
        }
        if (next.applied() != null) {
            matches.add(next.id(), next.applied());
        }
        changed.add(next.id());
    }

    /** After a route went away, a route refused for clashing with it may now be valid. */
    private void recheckRefused() {
        List<RouteState> again = new ArrayList<>(refused.values());
        again.sort(Comparator.comparingLong(RouteState::czxid));
        for (RouteState s : again) {
            upsert(s.id(), s.latest());
        }
    }

    /** The route id a znode path names, or null when it is not a direct child of the routes path. */
    String idOf(String path) {
        return ZnodeLayout.childName(routesPath, path);
    }
}
