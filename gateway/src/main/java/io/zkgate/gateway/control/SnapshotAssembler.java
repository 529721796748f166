package io.zkgate.gateway.control;

import io.zkgate.gateway.balancer.Endpoint;
import io.zkgate.gateway.metrics.GatewayMetrics;
import io.zkgate.gateway.routing.RetryBudget;
import io.zkgate.gateway.routing.RouteEntry;
import io.zkgate.gateway.routing.RouteTable;
import io.zkgate.gateway.routing.ServicePool;
import io.zkgate.gateway.routing.Snapshot;
import io.zkgate.gateway.routing.UpstreamPolicy;
import io.zkgate.gateway.scripting.RouteScript;
import io.zkgate.gateway.scripting.ScriptCatalog;
import io.zkgate.gateway.scripting.ScriptStats;
import io.zkgate.schema.Route;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns applied routes and built pools into what the request path runs on: each route's {@link RouteEntry} with its
 * balancer (reused while the route's policy and routable endpoints stay the same), its retry budget (one per route
 * id for the gateway's life), its upstream settings with the gateway's defaults filled in and its script bound; binds
 * the backends' metrics; and puts them together into a {@link Snapshot}. Not thread-safe: confined to the control thread.
 */
final class SnapshotAssembler {
    private final RouteDefaults defaults;
    private final GatewayMetrics metrics;
    private final ScriptCatalog scripts;
    /** Each served route's balancer, kept while its policy and backends stay the same. */
    private final Map<String, BuiltBalancer> balancers = new HashMap<>();
    private final Map<String, RetryBudget> budgets = new HashMap<>();
    private long metricsDueNanos = -1;

    SnapshotAssembler(RouteDefaults defaults, GatewayMetrics metrics, ScriptCatalog scripts) {
        this.defaults = defaults;
        this.metrics = metrics;
        this.scripts = scripts;
    }

    /** The entry of an applied route over {@code pool}, its service's pool (null when the service has none). */
    private RouteEntry entry(RouteState state, ServicePool pool) {
        Route r = state.applied();
        Endpoint[] routable = pool == null ? new Endpoint[0] : pool.routable();
        BuiltBalancer built = BuiltBalancer.reuseOrBuild(balancers.get(r.id()), r.lb(), routable);
        balancers.put(r.id(), built);
        return new RouteEntry(r, state.appliedVersion(), built.balancer(), upstream(r), metrics.route(r.id()),
                script(r));
    }

    /**
     * Builds the snapshot of what the registries hold now: every service's pool and every applied route's entry.
     *
     * @param synced whether routes, services and scripts have all been read in full
     */
    Snapshot assemble(long version, RouteRegistry routes, ServiceRegistry services, boolean synced, long nowNanos) {
        routes.drainChanged();
        services.drainChanged();
        Map<String, ServicePool> pools = new HashMap<>();
        for (String service : new ArrayList<>(services.names())) {
            ServicePool pool = services.build(service, nowNanos);
            if (pool != null) {
                pools.put(service, pool);
            }
        }
        List<RouteEntry> entries = new ArrayList<>();
        for (RouteState s : routes.states()) {
            if (s.applied() != null) {
                entries.add(entry(s, pools.get(s.applied().service())));
            }
        }
        balancers.keySet().removeIf(id -> routes.state(id) == null || routes.state(id).applied() == null);
        List<Endpoint> bound = new ArrayList<>();
        for (ServicePool p : pools.values()) {
            bound.addAll(p.all());
        }
        metricsDueNanos = metrics.bind(bound, nowNanos);
        return new Snapshot(version, RouteTable.of(entries), Map.copyOf(pools), synced, routes.zxid());
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
        return scripts.bind(r.script(), r.id(), r.service());
    }
}
