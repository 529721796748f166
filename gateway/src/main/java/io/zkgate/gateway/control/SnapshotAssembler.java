package io.zkgate.gateway.control;

import io.zkgate.gateway.auth.AuthSources;
import io.zkgate.gateway.balancer.Balancer;
import io.zkgate.gateway.balancer.Endpoint;
import io.zkgate.gateway.limits.LimitGuards;
import io.zkgate.gateway.edge.EdgeGuards;
import io.zkgate.gateway.metrics.GatewayMetrics;
import io.zkgate.gateway.routing.MatchConditions;
import io.zkgate.gateway.routing.RetryBudget;
import io.zkgate.gateway.routing.RouteEntry;
import io.zkgate.gateway.routing.RouteGuard;
import io.zkgate.gateway.routing.RouteTable;
import io.zkgate.gateway.routing.ServiceMap;
import io.zkgate.gateway.routing.ServicePool;
import io.zkgate.gateway.routing.Snapshot;
import io.zkgate.gateway.routing.UpstreamPolicy;
import io.zkgate.gateway.scripting.RouteScript;
import io.zkgate.gateway.scripting.ScriptCatalog;
import io.zkgate.gateway.scripting.ScriptStats;
import io.zkgate.schema.Route;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns applied routes and built pools into what the request path runs on, rebuilding only what changed: each
 * route's {@link RouteEntry} with its balancers ({@link RouteBalancers}), its match conditions (kept while its match
 * stays the same), its retry budget (one per route id for the gateway's life), its upstream settings with the
 * gateway's defaults filled in, its guards and its script bound; binds the endpoints each publish adds or drops to
 * their backends' metrics; and puts them together into a {@link Snapshot}. Not thread-safe: confined to the control
 * thread.
 */
final class SnapshotAssembler {
    private final RouteDefaults defaults;
    private final GatewayMetrics metrics;
    private final ScriptCatalog scripts;
    private final LimitGuards limits;
    private final AuthSources auth;
    private final RouteBalancers balancers;
    /** Each served route's compiled match conditions, kept while its match stays the same. */
    private final Map<String, MatchConditions> conditions = new HashMap<>();
    private final Map<String, RetryBudget> budgets = new HashMap<>();
    /**
     * The served routes of each service (the route's own, each side of its split, its mirror): the entries to
     * rebuild when its pool changes.
     */
    private final Map<String, Set<String>> routesOf = new HashMap<>();
    /** What the last snapshot served; the next one is made from these. */
    private RouteTable table = RouteTable.empty();
    private ServiceMap pools = ServiceMap.empty();
    private long metricsDueNanos = -1;

    SnapshotAssembler(RouteDefaults defaults, GatewayMetrics metrics, ScriptCatalog scripts) {
        this(defaults, metrics, scripts, LimitGuards.standalone(), new AuthSources(null, metrics));
    }

    /**
     * @param limits builds each route's rate-limit and concurrency guards
     * @param auth   what routes' authentication guards read (credential sets, key sets)
     */
    SnapshotAssembler(RouteDefaults defaults, GatewayMetrics metrics, ScriptCatalog scripts, LimitGuards limits,
            AuthSources auth) {
        this.defaults = defaults;
        this.metrics = metrics;
        this.scripts = scripts;
        this.limits = limits;
        this.auth = auth;
        this.balancers = new RouteBalancers(metrics);
    }

    /** The entry of an applied route over the pools of its services (a service without a pool has no instance). */
    private RouteEntry entry(RouteState state) {
        Route r = state.applied();
        MatchConditions compiled = MatchConditions.reuseOrCompile(conditions.get(r.id()), r);
        if (compiled == null) {
            conditions.remove(r.id());
        } else {
            conditions.put(r.id(), compiled);
        }
        RouteEntry.Traffic traffic = new RouteEntry.Traffic(compiled, state.czxid(), balancers.mirror(r, pools));
        Balancer balancer = balancers.balancer(r, pools, routesOf.getOrDefault(r.service(), Set.of()));
        return new RouteEntry(r, state.appliedVersion(), balancer, upstream(r), metrics.route(r.id()),
                script(r), traffic, guards(r));
    }

    /** The route's guards in the order {@link RouteGuard} gives (CORS, IP rules, authentication, ...). */
    private List<RouteGuard> guards(Route r) {
        List<RouteGuard> guards = new ArrayList<>(EdgeGuards.of(r, metrics));
        guards.addAll(auth.guards(r));
        guards.addAll(limits.of(r));
        return guards;
    }

    /** The services whose pool changes rebuild the route: its own or its split's, and its mirror's. */
    private static Set<String> servicesOf(Route r) {
        if (r.backends() == null && r.mirror() == null) {
            return Set.of(r.service());
        }
        Set<String> out = new HashSet<>(r.services());
        if (r.mirror() != null) {
            out.add(r.mirror().service());
        }
        return out;
    }

    /**
     * Builds the next snapshot from the last one: the pools of the services changed since then are rebuilt, and the
     * entries of the routes changed since then or whose service changed; everything else is shared with the last
     * snapshot.
     *
     * @param synced whether routes, services and scripts have all been read in full
     */
    Snapshot assemble(long version, RouteRegistry routes, ServiceRegistry services, boolean synced, long nowNanos) {
        Map<String, ServicePool> changedPools = new HashMap<>();
        Set<String> emptied = new HashSet<>();
        Set<String> rebuild = new HashSet<>(routes.drainChanged());
        List<Endpoint> added = new ArrayList<>();
        List<Endpoint> left = new ArrayList<>();
        for (String service : services.drainChanged()) {
            ServicePool pool = services.build(service, nowNanos);
            diff(pools.get(service), pool, added, left);
            if (pool == null) {
                emptied.add(service);
            } else {
                changedPools.put(service, pool);
            }
            rebuild.addAll(routesOf.getOrDefault(service, Set.of()));
        }
        pools = pools.with(changedPools, emptied);
        List<RouteEntry> put = new ArrayList<>();
        Set<String> removed = new HashSet<>();
        for (String id : rebuild) {
            RouteEntry old = table.entry(id);
            RouteState state = routes.state(id);
            Route applied = state == null ? null : state.applied();
            Set<String> linked = applied == null ? Set.of() : servicesOf(applied);
            if (old != null) {
                for (String service : servicesOf(old.route())) {
                    if (!linked.contains(service)) {
                        unlink(service, id);
                    }
                }
            }
            if (applied == null) {
                removed.add(id);
                balancers.forget(id);
                limits.forget(id);
                conditions.remove(id);
            } else {
                for (String service : linked) {
                    routesOf.computeIfAbsent(service, k -> new HashSet<>()).add(id);
                }
                put.add(entry(state));
            }
        }
        table = table.with(put, removed);
        metricsDueNanos = metrics.bind(added, left, nowNanos);
        return new Snapshot(version, table, pools, synced, routes.zxid());
    }

    /**
     * Adds to {@code added} the endpoints (by identity) {@code next} holds and {@code last} did not, and to
     * {@code left} the reverse; either pool may be null.
     */
    private static void diff(ServicePool last, ServicePool next, List<Endpoint> added, List<Endpoint> left) {
        if (last == next) {
            return;
        }
        List<Endpoint> before = last == null ? List.of() : last.all();
        List<Endpoint> after = next == null ? List.of() : next.all();
        // Both sorted (ServicePool#all): one merge walk, in which an endpoint stays only as the very same object
        int i = 0;
        int j = 0;
        while (i < before.size() || j < after.size()) {
            Endpoint b = i < before.size() ? before.get(i) : null;
            Endpoint a = j < after.size() ? after.get(j) : null;
            if (a == b) {
                i++;
                j++;
            } else if (a == null || b != null && b.compareTo(a) <= 0) {
                left.add(b);
                i++;
            } else {
                added.add(a);
                j++;
            }
        }
    }

    private void unlink(String service, String routeId) {
        Set<String> ids = routesOf.get(service);
        if (ids != null && ids.remove(routeId) && ids.isEmpty()) {
            routesOf.remove(service);
        }
    }

    /** After {@link #assemble}: nanoseconds until a departed backend's metrics are due for removal, or -1. */
    long metricsDueNanos() {
        return metricsDueNanos;
    }

    private UpstreamPolicy upstream(Route r) {
        Route.Timeouts t = r.timeouts();
        long response = t != null && t.responseMs() != null ? t.responseMs() : defaults.responseTimeoutMs();
        long connect = t != null && t.connectMs() != null ? t.connectMs() : -1;
        int attempts = r.retries() != null && r.retries().attempts() != null
                ? r.retries().attempts() : defaults.retryAttempts();
        RetryBudget budget = budgets.computeIfAbsent(r.id(),
                id -> new RetryBudget(defaults.retryBudgetPercent() / 100.0, defaults.retryBudgetMinimum()));
        return new UpstreamPolicy(connect, response, attempts, budget);
    }

    /** The route's script frozen for this snapshot, or null when the route names none. */
    private RouteScript script(Route r) {
        if (r.script() == null) {
            return null;
        }
        ScriptStats stats = scripts.stats(r.script());
        metrics.scriptFailures(r.script(), stats::failures, stats::limitsExceeded);
        return scripts.bind(r.script(), r.id(), r.describeServices());
    }
}
