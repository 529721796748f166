package io.zkgate.gateway.control;

import io.zkgate.gateway.auth.AuthSources;
import io.zkgate.gateway.balancer.Endpoint;
import io.zkgate.gateway.limits.LimitGuards;
import io.zkgate.gateway.metrics.GatewayMetrics;
import io.zkgate.gateway.routing.ServicePool;
import io.zkgate.gateway.routing.Snapshot;
import io.zkgate.gateway.routing.SnapshotRef;
import io.zkgate.gateway.scripting.ScriptCatalog;
import io.zkgate.schema.ZnodeLayout;
import java.io.Closeable;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener.Type;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control path: three {@link WatchedTree}s (routes, services and Lua scripts) feed one control thread, which
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
    private final LimitGuards limits;
    /** Credential sets and key sets of authenticating routes; watched on their own Curator caches. */
    private final AuthSources auth;

    // Confined to the control thread.
    private boolean scriptsSynced;
    private boolean publishQueued;
    /** A publish is scheduled for when a departed backend's metrics are due for removal. */
    private boolean metricsRetireQueued;
    private long version;

    private volatile boolean closed;
    private final WatchedTree routesTree;
    private final WatchedTree servicesTree;
    /** Scripts first, so that routes bind their scripts as they are applied. */
    private final WatchedTree[] trees;

    /**
     * @param emptyServiceGraceMs    how long a service that lost its last instance keeps its previous ones
     * @param scriptInstructionLimit Lua instructions a route script may run per call
     */
    public ControlPlane(ZnodeLayout layout, SnapshotRef ref, RouteDefaults defaults, long emptyServiceGraceMs,
            GatewayMetrics metrics, ZooKeeperStatus zkStatus, int scriptInstructionLimit, OutlierSettings outliers) {
        this(layout, ref, defaults, emptyServiceGraceMs, metrics, zkStatus, scriptInstructionLimit, outliers,
                LimitGuards.standalone());
    }

    /** @param limits builds each route's rate-limit and concurrency guards */
    public ControlPlane(ZnodeLayout layout, SnapshotRef ref, RouteDefaults defaults, long emptyServiceGraceMs,
            GatewayMetrics metrics, ZooKeeperStatus zkStatus, int scriptInstructionLimit, OutlierSettings outliers,
            LimitGuards limits) {
        this.limits = limits;
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
        this.assembler = new SnapshotAssembler(defaults, metrics, scripts, limits, auth);
        this.routesTree = new WatchedTree(layout.routesPath(), 1, control, this::onRouteEvent, () -> {
            routes.sync();
            queuePublish();
        }, present -> {
            routes.retainOnly(present, routesPzxid());
            queuePublish();
        });
        this.servicesTree = new WatchedTree(layout.servicesPath(), 2, control, this::onServiceEvent, () -> {
            services.sync();
            queuePublish();
        }, present -> {
            services.retainOnly(present, System.nanoTime());
            queuePublish();
        });
        this.trees = new WatchedTree[] {new WatchedTree(layout.scriptsPath(), 1, control, this::onScriptEvent,
                this::onScriptsSynced, this::retainScripts), routesTree, servicesTree};
    }

    /**
     * Starts reading and watching the three trees ({@link WatchedTree}); the first snapshot with {@link
     * Snapshot#synced()} follows once all three were read. Should the batched read fail (ZooKeeper older than 3.6,
     * or unreachable for {@code connectWaitMs}), the watches' own reads sync the trees.
     */
    public void start(CuratorFramework client, long connectWaitMs) {
        auth.start(client);
        control.execute(() -> WatchedTree.readAndWatch(trees, client, connectWaitMs, () -> closed,
                zkStatus::nowWatching));
    }

    /**
     * The data of the instance znode at {@code path} as the services watch has it, or empty; any thread. For the
     * admin API's instance metadata, so the services tree is cached once.
     */
    public Optional<byte[]> instanceData(String path) {
        return servicesTree.get(path).map(ChildData::getData);
    }

    /** The routes' rate limits and concurrency caps, for the admin view. */
    public LimitGuards limits() {
        return limits;
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
        closed = true;
        for (WatchedTree tree : trees) {
            tree.close();
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
            routes.remove(id, node.getPath(), routesPzxid());
        } else {
            routes.put(id, data);
        }
        if (routes.synced()) {
            queuePublish();
        }
    }

    private long routesPzxid() {
        return routesTree.get(layout.routesPath()).map(root -> root.getStat().getPzxid()).orElse(0L);
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

    private void retainScripts(Predicate<String> present) {
        for (String name : Set.copyOf(scripts.states().keySet())) {
            String path = layout.scriptsPath() + "/" + name;
            if (!present.test(path)) {
                onScriptEvent(Type.NODE_DELETED, new ChildData(path, null, null), null);
            }
        }
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
