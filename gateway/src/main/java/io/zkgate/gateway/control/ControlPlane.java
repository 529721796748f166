package io.zkgate.gateway.control;

import io.zkgate.gateway.auth.AuthSources;
import io.zkgate.gateway.balancer.Endpoint;
import io.zkgate.gateway.metrics.GatewayMetrics;
import io.zkgate.gateway.routing.ServicePool;
import io.zkgate.gateway.routing.Snapshot;
import io.zkgate.gateway.routing.SnapshotRef;
import io.zkgate.gateway.scripting.ScriptCatalog;
import io.zkgate.schema.ZnodeLayout;
import java.io.Closeable;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener.Type;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control path: three {@link CuratorCache}s (routes, services and Lua scripts) feed one control thread, which
 * hands each event to its registry ({@link RouteRegistry}, {@link ServiceRegistry}, {@link ScriptCatalog}), and
 * publishes a new {@link Snapshot} with one reference swap. The {@link SnapshotAssembler} rebuilds only the services
 * and routes the events touched and shares the rest with the previous snapshot. Events that arrive while a publish is
 * queued are coalesced into it. While ZooKeeper is unreachable nothing is published, so the last
 * snapshot keeps serving. Thread-safe: the public methods may be called from any thread; all state is confined to
 * the control thread.
 */
public final class ControlPlane implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(ControlPlane.class);

    private final ZnodeLayout layout;
    private final SnapshotRef ref;
    private final ScheduledExecutorService control;
    private final GatewayMetrics metrics;
    private final ZooKeeperStatus zkStatus;
    private final ScriptCatalog scripts;
    private final OutlierEjector ejector;
    private final RouteRegistry routes;
    private final ServiceRegistry services;
    private final SnapshotAssembler assembler;
    /** Credential sets and key sets of authenticating routes; watched on their own Curator caches. */
    private final AuthSources auth;

    // Confined to the control thread.
    private boolean scriptsSynced;
    private boolean publishQueued;
    /** A publish is scheduled for when a departed backend's metrics are due for removal. */
    private boolean metricsRetireQueued;
    private long version;

    private CuratorCache routesCache;
    private CuratorCache servicesCache;
    private CuratorCache scriptsCache;

    /**
     * @param emptyServiceGraceMs    how long a service that lost its last instance keeps its previous ones
     * @param scriptInstructionLimit Lua instructions a route script may run per call
     */
    public ControlPlane(ZnodeLayout layout, SnapshotRef ref, RouteDefaults defaults, long emptyServiceGraceMs,
            GatewayMetrics metrics, ZooKeeperStatus zkStatus, int scriptInstructionLimit, OutlierSettings outliers) {
        this.layout = layout;
        this.ref = ref;
        this.metrics = metrics;
        this.zkStatus = zkStatus;
        this.control = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "zkgate-control");
            t.setDaemon(true);
            return t;
        });
        this.scripts = new ScriptCatalog(layout.scriptsPath(), scriptInstructionLimit);
        this.ejector = new OutlierEjector(outliers);
        this.routes = new RouteRegistry(layout.routesPath());
        this.services = new ServiceRegistry(layout, emptyServiceGraceMs, ejector, (delayMs, service) ->
                control.schedule(() -> changed(service), delayMs, TimeUnit.MILLISECONDS));
        this.auth = new AuthSources(layout, metrics);
        this.assembler = new SnapshotAssembler(defaults, metrics, scripts, auth);
    }

    /** Starts watching; the first snapshot with {@link Snapshot#synced()} follows once all three trees were read. */
    public void start(CuratorFramework client) {
        routesCache = watch(client, layout.routesPath(), this::onRouteEvent, () -> {
            routes.sync();
            queuePublish();
        });
        servicesCache = watch(client, layout.servicesPath(), this::onServiceEvent, () -> {
            services.sync();
            queuePublish();
        });
        scriptsCache = watch(client, layout.scriptsPath(), this::onScriptEvent, this::onScriptsSynced);
        auth.start(client);
        for (CuratorCache cache : new CuratorCache[] {routesCache, servicesCache, scriptsCache}) {
            cache.start();
        }
    }

    private CuratorCache watch(CuratorFramework client, String path, CuratorCacheListener events,
            Runnable synced) {
        CuratorCache cache = CuratorCache.build(client, path);
        cache.listenable().addListener(
                CuratorCacheListener.builder().forAll(events).forInitialized(synced).build(), control);
        return cache;
    }

    /**
     * Asks for a backend to be ejected after a streak of failures; called from the request path, decided on the
     * control thread by the {@link OutlierEjector}.
     */
    public void requestEjection(Endpoint endpoint) {
        control.execute(() -> {
            ServicePool pool = ref.current().services().get(endpoint.service());
            long ms = pool == null ? -1 : ejector.eject(endpoint, pool, System.nanoTime());
            if (ms >= 0) {
                metrics.ejected(endpoint);
                changed(endpoint.service());
                control.schedule(() -> changed(endpoint.service()), ms + 1, TimeUnit.MILLISECONDS);
            }
        });
    }

    /** Rebuilds after the active health checker changed a backend's health; any thread. */
    public void healthChanged() {
        control.execute(() -> {
            services.names().forEach(services::markChanged);
            queuePublish();
        });
    }

    /** The state of every route znode, by id; for the admin API. Safe to call from any thread. */
    public Map<String, RouteState> routeStates() {
        return onControlThread(routes::sortedStates);
    }

    /** The state of each route znode that was refused, by id; for the fleet status after each publish. Any thread. */
    public Map<String, RouteState> refusedRouteStates() {
        return onControlThread(routes::rejectedStates);
    }

    /** The state of every script znode, by name; for the admin API and tests. Safe to call from any thread. */
    public Map<String, ScriptCatalog.ScriptState> scriptStates() {
        return onControlThread(scripts::states);
    }

    /** The script registry; only its {@code stats(name)} may be called from other threads. */
    public ScriptCatalog scripts() {
        return scripts;
    }

    @Override
    public void close() {
        for (CuratorCache cache : new CuratorCache[] {routesCache, servicesCache, scriptsCache}) {
            if (cache != null) {
                cache.close();
            }
        }
        auth.close();
        control.shutdownNow();
    }

    private <T> T onControlThread(Callable<T> query) {
        try {
            return control.submit(query).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("control thread did not answer: " + e, e);
        }
    }

    // ---- events (control thread) --------------------------------------------------------------------------------

    private void onRouteEvent(Type type, ChildData oldData, ChildData data) {
        ChildData node = type == Type.NODE_DELETED ? oldData : data;
        String id = routes.idOf(node.getPath());
        if (id == null) {
            return;
        }
        if (type == Type.NODE_DELETED) {
            long pzxid = routesCache.get(layout.routesPath()).map(root -> root.getStat().getPzxid()).orElse(0L);
            routes.remove(id, node.getPath(), pzxid);
        } else {
            routes.put(id, data);
        }
        if (routes.synced()) {
            queuePublish();
        }
    }

    private void onServiceEvent(Type type, ChildData oldData, ChildData data) {
        if (type == Type.NODE_DELETED) {
            services.remove(oldData.getPath(), System.nanoTime());
        } else {
            services.put(data.getPath(), data.getData());
        }
        if (services.synced()) {
            queuePublish();
        }
    }

    private void onScriptEvent(Type type, ChildData oldData, ChildData data) {
        String path = type == Type.NODE_DELETED ? oldData.getPath() : data.getPath();
        boolean changed = type == Type.NODE_DELETED
                ? scripts.remove(path)
                : scripts.put(path, data.getData(), data.getStat() == null ? -1 : data.getStat().getVersion());
        String name = ZnodeLayout.childName(layout.scriptsPath(), path);
        if (changed && name != null) {
            routes.markNaming(Set.of(name));
            if (scriptsSynced) {
                queuePublish();
            }
        }
    }

    private void onScriptsSynced() {
        scriptsSynced = true;
        log.info("scripts synced from {}: {} scripts", layout.scriptsPath(), scripts.states().size());
        routes.markNaming(scripts.states().keySet());
        queuePublish();
    }

    private void changed(String service) {
        services.markChanged(service);
        queuePublish();
    }

    // ---- publishing (control thread) ----------------------------------------------------------------------------

    /** Coalesces a burst of events into one publish: it runs after the events already queued. */
    private void queuePublish() {
        if (!publishQueued) {
            publishQueued = true;
            control.execute(this::publish);
        }
    }

    private void publish() {
        publishQueued = false;
        if (!routes.synced() && !services.synced()) {
            return;
        }
        long now = System.nanoTime();
        boolean synced = routes.synced() && services.synced() && scriptsSynced;
        if (synced) {
            zkStatus.synced();
        }
        zkStatus.updated();
        Snapshot next = assembler.assemble(++version, routes, services, synced, now);
        retireMetricsWhenDue(assembler.metricsDueNanos());
        ref.publish(next);
        metrics.snapshotPublished(next.version(), System.nanoTime() - now);
        log.debug("snapshot {} published: {} routes, {} services", next.version(), next.routes().entries().size(),
                next.services().size());
    }

    private void retireMetricsWhenDue(long dueNanos) {
        if (dueNanos >= 0 && !metricsRetireQueued) {
            metricsRetireQueued = true;
            control.schedule(() -> {
                metricsRetireQueued = false;
                queuePublish();
            }, TimeUnit.NANOSECONDS.toMillis(dueNanos) + 1, TimeUnit.MILLISECONDS);
        }
    }
}
