package io.zkgate.gateway.control;

import io.zkgate.schema.Route;
import io.zkgate.schema.RouteConflicts;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Applied routes by host and normalized prefix: the only routes a new one can clash with, so a route edit checks a
 * handful of routes for a duplicate match, not every route. Not thread-safe: confined to the control thread.
 */
final class RouteMatchIndex {
    private final Map<String, Set<String>> byMatch = new HashMap<>();

    /**
     * The id of an applied route other than {@code id} with the same match as {@code route}, or null.
     *
     * @param applied the applied route of an indexed id
     */
    String clashing(String id, Route route, Function<String, Route> applied) {
        for (String otherId : byMatch.getOrDefault(key(route), Set.of())) {
            if (!otherId.equals(id) && RouteConflicts.sameMatch(route, applied.apply(otherId))) {
                return otherId;
            }
        }
        return null;
    }

    void add(String id, Route route) {
        byMatch.computeIfAbsent(key(route), k -> new HashSet<>()).add(id);
    }

    void remove(String id, Route route) {
        String key = key(route);
        Set<String> ids = byMatch.get(key);
        if (ids != null && ids.remove(id) && ids.isEmpty()) {
            byMatch.remove(key);
        }
    }

    private static String key(Route r) {
        return r.match().host() + "\n" + r.match().normalizedPrefix();
    }
}
