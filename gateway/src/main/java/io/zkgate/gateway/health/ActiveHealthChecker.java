package io.zkgate.gateway.health;

import io.zkgate.gateway.balancer.BackendHealth;
import io.zkgate.gateway.balancer.Endpoint;
import io.zkgate.gateway.proxy.UpstreamHttpClient;
import io.zkgate.gateway.routing.RouteEntry;
import io.zkgate.gateway.routing.RouteIndex;
import io.zkgate.gateway.routing.ServicePool;
import io.zkgate.gateway.routing.Snapshot;
import io.zkgate.schema.Route;
import java.io.Closeable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Active health checks, for services whose routes carry a {@code healthCheck} block: every instance is polled
 * with {@code GET path}; after {@code unhealthyThreshold} failures in a row it leaves routing, after
 * {@code healthyThreshold} passes it returns. A transition asks the control path for a new snapshot; the request
 * path never waits on a check. When several routes of one service ask for checks, the route with the smallest id
 * decides. Thread-safe: plans and streaks are confined to the checker's own thread, what was last handed over to
 * the publishing thread.
 */
public final class ActiveHealthChecker implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(ActiveHealthChecker.class);

    private final Runnable onChange;
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "zkgate-health");
        t.setDaemon(true);
        return t;
    });
    private final HttpClient client;

    // Confined to the control thread (the snapshot publisher): what was last handed over.
    private Map<String, Route.HealthCheck> lastWanted;
    private Map<String, ServicePool> lastPools = Map.of();

    // Confined to the scheduler thread.
    private final Map<String, Plan> plans = new HashMap<>();
    private final Map<BackendHealth, Streak> streaks = new IdentityHashMap<>();

    /** What to check for one service, and the task doing it. */
    private static final class Plan {
        Route.HealthCheck check;
        List<Endpoint> endpoints;
        ScheduledFuture<?> task;
    }

    /** Consecutive results of one backend. */
    private static final class Streak {
        int failures;
        int passes;
    }

    /** @param onChange called (on the checker's thread) after an instance changed health */
    public ActiveHealthChecker(Runnable onChange) throws Exception {
        this.onChange = onChange;
        QueuedThreadPool threads = new QueuedThreadPool(8, 1);
        threads.setName("zkgate-health-client");
        threads.setDaemon(true);
        client = UpstreamHttpClient.overHttp11();
        client.setExecutor(threads);
        client.setFollowRedirects(false);
        client.setMaxConnectionsPerDestination(2);
        client.start();
    }

    /**
     * Takes the checks a snapshot asks for; called on the control thread after each publish, returns at once. Looks
     * only at the routes that ask for checks and their services' pools, and hands nothing over when neither changed
     * since the last snapshot (an event elsewhere in a large table costs a comparison).
     */
    public void onSnapshot(Snapshot snapshot) {
        Map<String, Route.HealthCheck> wanted = new HashMap<>();
        for (String id : snapshot.routes().ids(RouteIndex.HEALTH_CHECKED)) {
            RouteEntry e = snapshot.routes().entry(id);
            for (String service : e.route().services()) {
                wanted.putIfAbsent(service, e.route().healthCheck());
            }
        }
        Map<String, ServicePool> pools = new HashMap<>();
        for (String service : wanted.keySet()) {
            pools.put(service, snapshot.services().get(service));
        }
        if (wanted.equals(lastWanted) && samePools(pools)) {
            return;
        }
        lastWanted = wanted;
        lastPools = pools;
        Map<String, List<Endpoint>> targets = new HashMap<>();
        for (Map.Entry<String, ServicePool> p : pools.entrySet()) {
            List<Endpoint> list = new ArrayList<>();
            if (p.getValue() != null) {
                for (Endpoint e : p.getValue().all()) {
                    if (e.weight() > 0) {
                        list.add(e);
                    }
                }
            }
            targets.put(p.getKey(), list);
        }
        scheduler.execute(() -> replan(wanted, targets));
    }

    /** Whether each service's pool is the very one of the last snapshot handed over. */
    private boolean samePools(Map<String, ServicePool> pools) {
        for (Map.Entry<String, ServicePool> p : pools.entrySet()) {
            if (lastPools.get(p.getKey()) != p.getValue()) {
                return false;
            }
        }
        return true;
    }

    private void replan(Map<String, Route.HealthCheck> wanted, Map<String, List<Endpoint>> targets) {
        for (var it = plans.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            if (!wanted.containsKey(e.getKey())) {
                e.getValue().task.cancel(false);
                boolean changed = false;
                for (Endpoint ep : e.getValue().endpoints) {
                    streaks.remove(ep.health());
                    changed |= ep.health().activelyHealthy(true);
                }
                it.remove();
                log.info("active health checks of service {} stopped", e.getKey());
                if (changed) {
                    onChange.run();
                }
            }
        }
        for (var e : wanted.entrySet()) {
            Plan plan = plans.get(e.getKey());
            if (plan != null && !Objects.equals(plan.check, e.getValue())) {
                plan.task.cancel(false);
                plan = null;
            }
            if (plan == null) {
                plan = new Plan();
                plan.check = e.getValue();
                String service = e.getKey();
                plan.task = scheduler.scheduleWithFixedDelay(() -> checkAll(service), 0, e.getValue().intervalMs(),
                        TimeUnit.MILLISECONDS);
                plans.put(service, plan);
                log.info("active health checks of service {}: GET {} every {} ms", service, e.getValue().path(),
                        e.getValue().intervalMs());
            }
            plan.endpoints = targets.get(e.getKey());
        }
    }

    private void checkAll(String service) {
        Plan plan = plans.get(service);
        if (plan == null) {
            return;
        }
        Route.HealthCheck check = plan.check;
        for (Endpoint e : plan.endpoints) {
            client.newRequest(e.baseUri() + check.path())
                    .timeout(check.timeoutMs(), TimeUnit.MILLISECONDS)
                    .send(result -> {
                        boolean ok = result.isSucceeded() && result.getResponse().getStatus() / 100 == 2;
                        scheduler.execute(() -> record(e, check, ok));
                    });
        }
    }

    private void record(Endpoint e, Route.HealthCheck check, boolean ok) {
        Streak s = streaks.computeIfAbsent(e.health(), h -> new Streak());
        if (ok) {
            s.failures = 0;
            s.passes++;
            if (!e.health().activelyHealthy() && s.passes >= check.healthyThreshold()) {
                e.health().activelyHealthy(true);
                log.info("backend {} healthy again ({} passed checks)", e, s.passes);
                onChange.run();
            }
        } else {
            s.passes = 0;
            s.failures++;
            if (e.health().activelyHealthy() && s.failures >= check.unhealthyThreshold()) {
                e.health().activelyHealthy(false);
                log.warn("backend {} unhealthy ({} failed checks of {})", e, s.failures, check.path());
                onChange.run();
            }
        }
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
        try {
            client.stop();
        } catch (Exception e) {
            log.debug("stopping the health check client failed", e);
        }
    }
}
