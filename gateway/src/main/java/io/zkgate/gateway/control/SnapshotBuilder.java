package io.zkgate.gateway.control;

import io.zkgate.gateway.balancer.BackendHealth;
import io.zkgate.gateway.balancer.Endpoint;
import io.zkgate.gateway.metrics.GatewayMetrics;
import io.zkgate.gateway.routing.RetryBudget;
import io.zkgate.gateway.routing.RouteEntry;
import io.zkgate.gateway.routing.RouteTable;
import io.zkgate.gateway.routing.ServicePool;
import io.zkgate.gateway.routing.Snapshot;
import io.zkgate.gateway.routing.SnapshotRef;
import io.zkgate.gateway.routing.UpstreamPolicy;
import io.zkgate.gateway.scripting.RouteScript;
import io.zkgate.gateway.scripting.ScriptCatalog;
import io.zkgate.gateway.scripting.ScriptStats;
import io.zkgate.schema.Route;
import io.zkgate.schema.RouteCodec;
import io.zkgate.schema.RouteConflicts;
import io.zkgate.schema.ServiceInstance;
import io.zkgate.schema.ServiceInstanceCodec;
import io.zkgate.schema.ValidationException;
import io.zkgate.schema.ZnodeLayout;
import java.io.Closeable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control path: three {@link CuratorCache}s (routes, services and Lua scripts) feed one control thread, which
 * validates (and compiles) what changed, rebuilds an immutable {@link Snapshot} and publishes it with one reference
 * swap.
 *
 * <p>A route znode that fails validation is skipped with one log line and its last good version keeps serving. A
 * service whose last instance disappears keeps its previous instances for a short grace period, because
 * curator-x-discovery re-registers with delete-then-create after a session loss. While ZooKeeper is unreachable
 * nothing is published, so the last snapshot keeps serving. All mutable state is confined to the control thread.
 */
public final class SnapshotBuilder implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(SnapshotBuilder.class);

    private final ZnodeLayout layout;
    private final SnapshotRef ref;
    private final RouteDefaults defaults;
    private final long emptyServiceGraceMs;
    private final ScheduledExecutorService control;
    private final GatewayMetrics metrics;
    private final ZooKeeperStatus zkStatus;
    private final ScriptCatalog scripts;
    private final OutlierSettings outliers;

    // Confined to the control thread.
    private final Map<String, RouteState> routes = new HashMap<>();
    private final Map<String, ChildData> routesBeforeSync = new HashMap<>();
    private final Map<String, Map<String, ServiceInstance>> instances = new HashMap<>();
    private final Map<String, Endpoint> endpoints = new HashMap<>();
    private final Map<String, Held> held = new HashMap<>();
    private final Map<String, RetryBudget> budgets = new HashMap<>();
    /** Each route's balancer in the last snapshot, kept while its policy and backends stay the same. */
    private final Map<String, BuiltBalancer> balancers = new HashMap<>();
    private final Set<String> panicking = new HashSet<>();
    private boolean routesSynced;
    private boolean servicesSynced;
    private boolean scriptsSynced;
    private boolean rebuildQueued;
    /** A rebuild is scheduled for when a departed backend's metrics are due for removal. */
    private boolean metricsRetireQueued;
    private long version;
    /** Highest zxid of a route change (edit, create or delete) the current snapshot reflects. */
    private long routesZxid;

    private CuratorCache routesCache;
    private CuratorCache servicesCache;
    private CuratorCache scriptsCache;

    /** The instances a service had before it lost its last one, kept until {@code untilNanos}. */
    private record Held(ServicePool pool, long untilNanos) {}

    /**
     * @param scriptInstructionLimit Lua instructions a route script may run per call
     */
    public SnapshotBuilder(ZnodeLayout layout, SnapshotRef ref, RouteDefaults defaults, long emptyServiceGraceMs,
            GatewayMetrics metrics, ZooKeeperStatus zkStatus, int scriptInstructionLimit, OutlierSettings outliers) {
        this.layout = layout;
        this.outliers = outliers;
        this.metrics = metrics;
        this.zkStatus = zkStatus;
        this.scripts = new ScriptCatalog(layout.scriptsPath(), scriptInstructionLimit);
        this.ref = ref;
        this.defaults = defaults;
        this.emptyServiceGraceMs = emptyServiceGraceMs;
        this.control = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "zkgate-control");
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts watching; the first snapshot with {@link Snapshot#synced()} follows once all three trees were read. */
    public void start(CuratorFramework client) {
        routesCache = CuratorCache.build(client, layout.routesPath());
        routesCache.listenable().addListener(CuratorCacheListener.builder()
                .forAll((type, oldData, data) -> onRouteEvent(type, oldData, data))
                .forInitialized(this::onRoutesSynced)
                .build(), control);
        servicesCache = CuratorCache.build(client, layout.servicesPath());
        servicesCache.listenable().addListener(CuratorCacheListener.builder()
                .forAll((type, oldData, data) -> onServiceEvent(type, oldData, data))
                .forInitialized(this::onServicesSynced)
                .build(), control);
        scriptsCache = CuratorCache.build(client, layout.scriptsPath());
        scriptsCache.listenable().addListener(CuratorCacheListener.builder()
                .forAll((type, oldData, data) -> onScriptEvent(type, oldData, data))
                .forInitialized(this::onScriptsSynced)
                .build(), control);
        routesCache.start();
        servicesCache.start();
        scriptsCache.start();
    }

    /**
     * Asks for a backend to be ejected after a streak of failures; called from the request path, decided on the
     * control thread: never more than {@link OutlierSettings#maxEjectionPercent()} of a service's backends, each
     * ejection of the same backend twice as long as the one before.
     */
    public void requestEjection(Endpoint endpoint) {
        control.execute(() -> eject(endpoint));
    }

    private void eject(Endpoint endpoint) {
        long now = System.nanoTime();
        BackendHealth health = endpoint.health();
        if (health.ejected(now)) {
            return;
        }
        ServicePool pool = ref.current().services().get(endpoint.service());
        if (pool == null) {
            return;
        }
        int eligible = 0;
        int ejected = 0;
        for (Endpoint e : pool.all()) {
            if (e.weight() > 0) {
                eligible++;
                if (e.health().ejected(now)) {
                    ejected++;
                }
            }
        }
        if ((ejected + 1) * 100 > eligible * outliers.maxEjectionPercent()) {
            if (!health.reportCapped()) {
                return;
            }
            log.warn("backend {} keeps failing but is not ejected: {} of {} backends of {} are ejected already "
                    + "(at most {}%)", endpoint, ejected, eligible, endpoint.service(), outliers.maxEjectionPercent());
            return;
        }
        long ms = Math.min(outliers.maxEjectionMs(),
                outliers.baseEjectionMs() << Math.min(20, Math.max(0, health.ejections())));
        int count = health.eject(now + TimeUnit.MILLISECONDS.toNanos(ms));
        metrics.ejected(endpoint);
        log.warn("backend {} ejected for {} ms after {} consecutive failures (ejection {})", endpoint, ms,
                outliers.consecutiveFailures(), count);
        queueRebuild();
        control.schedule(this::queueRebuild, ms + 1, TimeUnit.MILLISECONDS);
    }

    /** Rebuilds after the active health checker changed a backend's health; any thread. */
    public void healthChanged() {
        control.execute(this::queueRebuild);
    }

    /** The state of every route znode, by id; for the admin API. Safe to call from any thread. */
    public Map<String, RouteState> routeStates() {
        try {
            return control.submit(() -> Map.copyOf(new TreeMap<>(routes))).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("control thread did not answer: " + e, e);
        }
    }

    @Override
    public void close() {
        if (routesCache != null) {
            routesCache.close();
        }
        if (servicesCache != null) {
            servicesCache.close();
        }
        if (scriptsCache != null) {
            scriptsCache.close();
        }
        control.shutdownNow();
    }

    // ---- routes -------------------------------------------------------------------------------------------------

    private void onRouteEvent(CuratorCacheListener.Type type, ChildData oldData, ChildData data) {
        ChildData node = type == CuratorCacheListener.Type.NODE_DELETED ? oldData : data;
        String id = ZnodeLayout.childName(layout.routesPath(), node.getPath());
        if (id == null) {
            return;
        }
        if (!routesSynced) {
            if (type == CuratorCacheListener.Type.NODE_DELETED) {
                routesBeforeSync.remove(id);
            } else {
                routesBeforeSync.put(id, data);
            }
            return;
        }
        if (type == CuratorCacheListener.Type.NODE_DELETED) {
            routesCache.get(layout.routesPath())
                    .ifPresent(root -> routesZxid = Math.max(routesZxid, root.getStat().getPzxid()));
            RouteState gone = routes.remove(id);
            log.info("route {} removed (znode {} deleted)", id, node.getPath());
            if (gone != null && gone.applied() != null) {
                recheckRefused();
            }
        } else {
            upsertRoute(id, data);
        }
        queueRebuild();
    }

    private void onRoutesSynced() {
        // First created wins a duplicate match, so read the initial set in creation order.
        List<Map.Entry<String, ChildData>> initial = new ArrayList<>(routesBeforeSync.entrySet());
        initial.sort(Comparator.comparingLong(e -> e.getValue().getStat().getCzxid()));
        for (Map.Entry<String, ChildData> e : initial) {
            upsertRoute(e.getKey(), e.getValue());
        }
        routesBeforeSync.clear();
        routesSynced = true;
        log.info("routes synced from {}: {} applied, {} refused", layout.routesPath(),
                routes.values().stream().filter(s -> s.applied() != null).count(),
                routes.values().stream().filter(s -> s.rejection() != null).count());
        queueRebuild();
    }

    private void upsertRoute(String id, ChildData data) {
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
        for (RouteState other : routes.values()) {
            if (!other.id().equals(id) && other.applied() != null && RouteConflicts.sameMatch(route, other.applied())) {
                refuse(id, prev, data, data.getPath() + ": match: duplicate match ("
                        + RouteConflicts.describe(route.match()) + ") of route '" + other.id() + "'");
                return;
            }
        }
        long zxid = data.getStat() == null ? 0 : data.getStat().getMzxid();
        routesZxid = Math.max(routesZxid, zxid);
        routes.put(id, new RouteState(id, route, znodeVersion, zxid, data, null));
        if (prev == null || prev.applied() == null || prev.appliedVersion() != znodeVersion) {
            log.info("route {} applied: znode {} version {} ({} -> service {}, {})", id, data.getPath(), znodeVersion,
                    RouteConflicts.describe(route.match()), route.service(), route.policy().wireName());
        }
    }

    private void refuse(String id, RouteState prev, ChildData data, String reason) {
        Route kept = prev == null ? null : prev.applied();
        int keptVersion = prev == null ? -1 : prev.appliedVersion();
        routes.put(id, new RouteState(id, kept, keptVersion, prev == null ? 0 : prev.appliedZxid(), data, reason));
        log.warn("route znode {} version {} refused: {}; {}", data.getPath(),
                data.getStat() == null ? -1 : data.getStat().getVersion(), reason,
                kept == null ? "route not served" : "still serving version " + keptVersion);
    }

    /** After a route went away, a route refused for clashing with it may now be valid. */
    private void recheckRefused() {
        List<RouteState> refused = new ArrayList<>();
        for (RouteState s : routes.values()) {
            if (s.rejection() != null) {
                refused.add(s);
            }
        }
        refused.sort(Comparator.comparingLong(RouteState::czxid));
        for (RouteState s : refused) {
            upsertRoute(s.id(), s.latest());
        }
    }

    // ---- services -----------------------------------------------------------------------------------------------

    private void onServiceEvent(CuratorCacheListener.Type type, ChildData oldData, ChildData data) {
        ChildData node = type == CuratorCacheListener.Type.NODE_DELETED ? oldData : data;
        ZnodeLayout.InstanceRef ref = layout.instanceRef(node.getPath());
        if (ref == null) {
            return;
        }
        Map<String, ServiceInstance> ofService = instances.computeIfAbsent(ref.service(), s -> new HashMap<>());
        if (type == CuratorCacheListener.Type.NODE_DELETED) {
            ServiceInstance gone = ofService.remove(ref.instanceId());
            if (gone != null) {
                log.info("instance {}/{} at {}:{} removed", ref.service(), ref.instanceId(), gone.address(), gone.port());
                holdIfEmptied(ref.service(), ofService);
            }
            if (ofService.isEmpty()) {
                instances.remove(ref.service());
            }
        } else {
            try {
                ServiceInstance inst = ServiceInstanceCodec.parse(node.getPath(), ref.service(), ref.instanceId(),
                        data.getData() == null ? new byte[0] : data.getData());
                ServiceInstance prev = ofService.put(ref.instanceId(), inst);
                if (!inst.equals(prev)) {
                    log.info("instance {}/{} at {}:{} weight {}{}{}", ref.service(), ref.instanceId(), inst.address(),
                            inst.port(), inst.weight(), inst.enabled() ? "" : " disabled",
                            prev == null ? " added" : " changed");
                }
            } catch (ValidationException e) {
                log.warn("instance znode refused: {}; {}", e.getMessage(),
                        ofService.containsKey(ref.instanceId()) ? "keeping its previous data" : "instance not routed");
                if (ofService.isEmpty()) {
                    instances.remove(ref.service());
                }
                return;
            }
        }
        if (servicesSynced) {
            queueRebuild();
        }
    }

    private void onServicesSynced() {
        servicesSynced = true;
        log.info("services synced from {}: {} services, {} instances", layout.servicesPath(), instances.size(),
                instances.values().stream().mapToInt(Map::size).sum());
        queueRebuild();
    }

    private void holdIfEmptied(String service, Map<String, ServiceInstance> remaining) {
        if (emptyServiceGraceMs <= 0 || remaining.values().stream().anyMatch(ServiceInstance::routable)) {
            return;
        }
        ServicePool current = ref.current().services().get(service);
        if (current == null || current.routable().length == 0) {
            return;
        }
        held.put(service, new Held(current, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(emptyServiceGraceMs)));
        log.info("service {} lost its last instance; keeping the previous {} for {} ms", service,
                current.routable().length, emptyServiceGraceMs);
        control.schedule(this::queueRebuild, emptyServiceGraceMs + 1, TimeUnit.MILLISECONDS);
    }

    // ---- scripts ------------------------------------------------------------------------------------------------

    /** The state of every script znode, by name; for the admin API and tests. Safe to call from any thread. */
    public Map<String, ScriptCatalog.ScriptState> scriptStates() {
        try {
            return control.submit(scripts::states).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("control thread did not answer: " + e, e);
        }
    }

    /** The script registry; only its {@code stats(name)} may be called from other threads. */
    public ScriptCatalog scripts() {
        return scripts;
    }

    private void onScriptEvent(CuratorCacheListener.Type type, ChildData oldData, ChildData data) {
        boolean changed = type == CuratorCacheListener.Type.NODE_DELETED
                ? scripts.remove(oldData.getPath())
                : scripts.put(data.getPath(), data.getData(), data.getStat() == null ? -1 : data.getStat().getVersion());
        if (changed && scriptsSynced) {
            queueRebuild();
        }
    }

    private void onScriptsSynced() {
        scriptsSynced = true;
        log.info("scripts synced from {}: {} scripts", layout.scriptsPath(), scripts.states().size());
        queueRebuild();
    }

    /** The route's script frozen for this snapshot, or null when the route names none. */
    private RouteScript scriptFor(Route r) {
        if (r.script() == null) {
            return null;
        }
        ScriptStats stats = scripts.stats(r.script());
        metrics.scriptFailures(r.script(), stats::failures, stats::limitsExceeded);
        return scripts.bind(r.script(), r.id(), r.service());
    }

    // ---- snapshot -----------------------------------------------------------------------------------------------

    /** Coalesces a burst of events into one rebuild: it runs after the events already queued. */
    private void queueRebuild() {
        if (!rebuildQueued) {
            rebuildQueued = true;
            control.execute(this::rebuild);
        }
    }

    private void rebuild() {
        rebuildQueued = false;
        if (!routesSynced && !servicesSynced) {
            return;
        }
        long now = System.nanoTime();
        if (routesSynced && servicesSynced && scriptsSynced) {
            zkStatus.synced();
        }
        zkStatus.updated();
        Map<String, ServicePool> pools = new HashMap<>();
        Map<String, Endpoint> liveEndpoints = new HashMap<>();
        for (Map.Entry<String, Map<String, ServiceInstance>> e : instances.entrySet()) {
            pools.put(e.getKey(), pool(e.getKey(), e.getValue().values(), liveEndpoints, now));
        }
        endpoints.keySet().retainAll(liveEndpoints.keySet());
        endpoints.putAll(liveEndpoints);
        held.entrySet().removeIf(h -> {
            ServicePool live = pools.get(h.getKey());
            if (live != null && live.routable().length > 0) {
                return true;
            }
            if (h.getValue().untilNanos() - now <= 0) {
                log.info("service {} has no instances (grace over)", h.getKey());
                return true;
            }
            pools.put(h.getKey(), h.getValue().pool());
            return false;
        });

        List<RouteEntry> entries = new ArrayList<>();
        Map<String, BuiltBalancer> nextBalancers = new HashMap<>();
        for (RouteState s : routes.values()) {
            Route r = s.applied();
            if (r == null) {
                continue;
            }
            ServicePool pool = pools.getOrDefault(r.service(), ServicePool.empty(r.service()));
            BuiltBalancer built = BuiltBalancer.reuseOrBuild(balancers.get(r.id()), r.lb(), pool.routable());
            nextBalancers.put(r.id(), built);
            entries.add(new RouteEntry(r, s.appliedVersion(), built.balancer(), upstream(r),
                    metrics.route(r.id()), scriptFor(r)));
        }
        balancers.clear();
        balancers.putAll(nextBalancers);
        List<Endpoint> bound = new ArrayList<>();
        for (ServicePool p : pools.values()) {
            bound.addAll(p.all());
        }
        long metricsDue = metrics.bind(bound, now);
        if (metricsDue >= 0 && !metricsRetireQueued) {
            metricsRetireQueued = true;
            control.schedule(() -> {
                metricsRetireQueued = false;
                queueRebuild();
            }, TimeUnit.NANOSECONDS.toMillis(metricsDue) + 1, TimeUnit.MILLISECONDS);
        }
        Snapshot next = new Snapshot(++version, RouteTable.of(entries), Map.copyOf(pools),
                routesSynced && servicesSynced && scriptsSynced, routesZxid);
        ref.publish(next);
        metrics.snapshotPublished(next.version(), System.nanoTime() - now);
        if (log.isDebugEnabled()) {
            log.debug("snapshot {} published: {} routes, {} services", next.version(), entries.size(), pools.size());
        }
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

    private ServicePool pool(String service, Iterable<ServiceInstance> insts, Map<String, Endpoint> liveEndpoints,
            long now) {
        List<Endpoint> all = new ArrayList<>();
        List<Endpoint> eligible = new ArrayList<>();
        List<Endpoint> healthy = new ArrayList<>();
        for (ServiceInstance i : insts) {
            String key = service + '\n' + i.id();
            Endpoint fresh = new Endpoint(service, i.id(), i.address(), i.port(), i.weight());
            Endpoint known = endpoints.get(key);
            Endpoint e = known != null && known.sameBackend(fresh)
                    ? (known.weight() == i.weight() ? known : known.withWeight(i.weight()))
                    : fresh;
            liveEndpoints.put(key, e);
            all.add(e);
            if (!i.routable()) {
                continue;
            }
            eligible.add(e);
            if (e.health().inEjection()) {
                if (e.health().ejected(now)) {
                    continue;
                }
                e.health().readmit();
                log.info("backend {} re-admitted after its ejection", e);
            }
            if (e.health().activelyHealthy()) {
                healthy.add(e);
            }
        }
        all.sort(null);
        eligible.sort(null);
        healthy.sort(null);
        boolean panic = !eligible.isEmpty() && healthy.size() * 100 < eligible.size() * outliers.panicPercent();
        boolean wasPanic = panicking.contains(service);
        if (panic != wasPanic) {
            if (panic) {
                panicking.add(service);
                log.warn("service {}: only {} of {} backends healthy, panic mode: spreading over all of them", service,
                        healthy.size(), eligible.size());
            } else {
                panicking.remove(service);
                log.info("service {}: {} of {} backends healthy, panic mode over", service, healthy.size(),
                        eligible.size());
            }
        }
        List<Endpoint> routable = panic ? eligible : healthy;
        return new ServicePool(service, List.copyOf(all), routable.toArray(new Endpoint[0]), panic);
    }
}
