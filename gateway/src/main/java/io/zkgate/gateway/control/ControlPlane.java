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
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control path: one control thread, on which {@link ZooKeeperWatches} hands each change of the routes, services
 * and Lua scripts trees to its registry ({@link RouteRegistry}, {@link ServiceRegistry}, {@link ScriptCatalog}), and
 * which publishes a new {@link Snapshot} with one reference swap. The {@link SnapshotAssembler} rebuilds only the
 * services and routes the events touched and shares the rest with the previous snapshot. Events that arrive while a
 * publish is queued are coalesced into it. While ZooKeeper is unreachable nothing is published, so the last snapshot
 * keeps serving. Thread-safe: the public methods may be called from any thread; all state is confined to the control
 * thread.
 */
public final class ControlPlane implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(ControlPlane.class);

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
    private final ZooKeeperWatches watches;

    // Confined to the control thread.
    private boolean publishQueued;
    /** A publish is scheduled for when a departed backend's metrics are due for removal. */
    private boolean metricsRetireQueued;
    private long version;

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
        AuthSources auth = new AuthSources(layout, metrics);
        this.assembler = new SnapshotAssembler(defaults, metrics, scripts, limits, auth);
        this.watches = new ZooKeeperWatches(layout, control, scripts, routes, services, auth, this::queuePublish);
    }

    /**
     * Starts reading and watching the three trees and the auth sources ({@link ZooKeeperWatches}); the first snapshot
     * with {@link Snapshot#synced()} follows once all three trees were read. Should the batched read fail (ZooKeeper
     * older than 3.6, or unreachable for {@code connectWaitMs}), the watches' own reads sync the trees.
     */
    public void start(CuratorFramework client, long connectWaitMs) {
        watches.start(client, connectWaitMs, zkStatus::nowWatching);
    }

    /**
     * The data of the instance znode at {@code path} as the services watch has it, or empty; any thread. For the
     * admin API's instance metadata, so the services tree is cached once.
     */
    public Optional<byte[]> instanceData(String path) {
        return watches.instanceData(path);
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
        watches.close();
        control.shutdownNow();
    }

    private <T> T onControlThread(Callable<T> query) {
        try {
            return control.submit(query).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("control thread did not answer: " + e, e);
        }
    }

    // ---- publishing (control thread) ----------------------------------------------------------------------------

    private void changed(String service) {
        services.markChanged(service);
        queuePublish();
    }

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
        boolean synced = routes.synced() && services.synced() && watches.scriptsSynced();
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
