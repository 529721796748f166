package io.zkgate.schema;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * Conflicts between routes: two routes with the same id, or the same match (host, path prefix and overlapping
 * method sets, or both without one), so that no request could tell them apart. Used by the gateway and the CLI alike. Stateless.
 */
public final class RouteConflicts {
    private RouteConflicts() {}

    /** Whether no request could choose between {@code a} and {@code b}. */
    public static boolean sameMatch(Route a, Route b) {
        Route.Match x = a.match();
        Route.Match y = b.match();
        if (!Objects.equals(x.host(), y.host()) || !x.normalizedPrefix().equals(y.normalizedPrefix())) {
            return false;
        }
        if (!sameConditions(x, y)) {
            // Different header, query or cookie conditions: requests tell them apart, or precedence does.
            return false;
        }
        if (x.methods().isEmpty() || y.methods().isEmpty()) {
            // A route with a method set is more specific than one without and wins at the same prefix.
            return x.methods().isEmpty() && y.methods().isEmpty();
        }
        for (String m : x.methods()) {
            if (y.methods().contains(m)) {
                return true;
            }
        }
        return false;
    }

    private static boolean sameConditions(Route.Match x, Route.Match y) {
        return Set.copyOf(x.headers()).equals(Set.copyOf(y.headers()))
                && Set.copyOf(x.query()).equals(Set.copyOf(y.query()))
                && Set.copyOf(x.cookies()).equals(Set.copyOf(y.cookies()));
    }

    /** Describes the match of a route for messages: {@code host api.example.com, prefix /api, methods [GET]}. */
    public static String describe(Route.Match m) {
        return (m.host() == null ? "any host" : "host " + m.host()) + ", prefix " + m.normalizedPrefix()
                + (m.methods().isEmpty() ? ", any method" : ", methods " + m.methods())
                + (m.conditionCount() == 0 ? "" : ", " + m.conditionCount() + " header/query/cookie conditions");
    }

    /**
     * Every duplicate id and duplicate match in {@code routes}, which keep their given order: the later of two
     * clashing routes is the one reported.
     */
    public static List<Problem> check(Collection<Route> routes, Function<Route, String> sourceOf) {
        List<Problem> problems = new ArrayList<>();
        Map<String, Route> byId = new HashMap<>();
        List<Route> accepted = new ArrayList<>();
        for (Route r : routes) {
            Route sameId = byId.putIfAbsent(r.id(), r);
            if (sameId != null) {
                problems.add(new Problem(sourceOf.apply(r), "id",
                        "duplicate route id '" + r.id() + "' (also in " + sourceOf.apply(sameId) + ")"));
                continue;
            }
            for (Route other : accepted) {
                if (sameMatch(r, other)) {
                    problems.add(new Problem(sourceOf.apply(r), "match", "duplicate match ("
                            + describe(r.match()) + ") of route '" + other.id() + "'"));
                    break;
                }
            }
            accepted.add(r);
        }
        return problems;
    }
}
