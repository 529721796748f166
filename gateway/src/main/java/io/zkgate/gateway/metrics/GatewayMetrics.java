package io.zkgate.gateway.metrics;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.exporter.common.TextFormat;
import io.prometheus.client.hotspot.DefaultExports;
import io.zkgate.gateway.balancer.Endpoint;
import java.io.IOException;
import java.io.Writer;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's one Dropwizard {@link MetricRegistry}, exported as Prometheus text through simpleclient with JVM
 * metrics from simpleclient_hotspot. Every series is prefixed {@code zkgate_}. Request-path recording goes to
 * objects resolved at snapshot build time (per route, per backend), so it costs adder increments, no lock and no
 * name building. Thread-safe.
 */
public final class GatewayMetrics {
    private static final Logger log = LoggerFactory.getLogger(GatewayMetrics.class);
    private static final long NOT_GONE = Long.MIN_VALUE;
    /** Route label for requests no route matched. Route ids cannot contain parentheses. */
    public static final String NO_ROUTE = "(none)";

    private final MetricRegistry registry = new MetricRegistry();
    private final CollectorRegistry prometheus = new CollectorRegistry();
    private final Map<String, RouteMetrics> routes = new ConcurrentHashMap<>();
    private final Map<String, BackendMetrics> backends = new ConcurrentHashMap<>();
    private final Map<String, Timer> scriptTimers = new ConcurrentHashMap<>();
    private final Map<String, MirrorMetrics> mirrors = new ConcurrentHashMap<>();
    /**
     * Backends that left the served snapshot, oldest first (publish times only grow); an entry whose backend came back
     * is skipped when reached. Control thread only.
     */
    private final Deque<Departure> departures = new ArrayDeque<>();
    private final long backendRetentionNanos;
    /**
     * Endpoint to its metrics ({@link Endpoint} keeps identity equality): the control thread adds a snapshot's new
     * endpoints before publishing it and removes the ones it dropped; the request path reads without lock or
     * allocation.
     */
    private final Map<Endpoint, BackendMetrics> byEndpoint = new ConcurrentHashMap<>();
    private final AtomicInteger zkConnected = new AtomicInteger();
    private final AtomicLong snapshotVersion = new AtomicLong();
    private final Counter rebuilds;
    private final Timer rebuildDuration;
    private final RouteMetrics noRoute;
    private final DurationHistograms histograms;
    private final boolean summaries;

    /** Metrics that keep a departed backend's series for ten minutes. */
    public GatewayMetrics() {
        this(TimeUnit.MINUTES.toMillis(10));
    }

    /**
     * @param backendRetentionMs how long a backend that left every snapshot keeps its series (so a backend that
     *                           re-registers keeps its counters), after which they are removed: instances come and
     *                           go with every deploy, and their series must not pile up
     */
    public GatewayMetrics(long backendRetentionMs) {
        this(backendRetentionMs, true);
    }

    /**
     * @param backendRetentionMs as above
     * @param summaries          whether routes and backends also keep the deprecated duration summaries (a window of
     *                           1,024 values each, about 4 KB once used) beside their histograms
     */
    public GatewayMetrics(long backendRetentionMs, boolean summaries) {
        this.summaries = summaries;
        backendRetentionNanos = TimeUnit.MILLISECONDS.toNanos(backendRetentionMs);
        prometheus.register(new PrometheusExports(registry));
        histograms = new DurationHistograms(prometheus);
        DefaultExports.register(prometheus);
        registry.gauge("zkgate_zookeeper_connected", () -> zkConnected::get);
        registry.gauge("zkgate_snapshot_version", () -> snapshotVersion::get);
        rebuilds = registry.counter("zkgate_snapshot_rebuilds_total");
        rebuildDuration = registry.timer("zkgate_snapshot_rebuild_duration_seconds",
                () -> WindowTimers.of(256));
        noRoute = route(NO_ROUTE);
    }

    public MetricRegistry registry() {
        return registry;
    }

    /** The metrics of a route, created on first use; called when snapshots are built. */
    public RouteMetrics route(String routeId) {
        return routes.computeIfAbsent(routeId, id -> new RouteMetrics(id, registry, histograms.request, summaries));
    }

    public RouteMetrics noRoute() {
        return noRoute;
    }

    /** The metrics of the backend an endpoint of the current snapshot stands for; request path, no allocation. */
    public BackendMetrics backend(Endpoint endpoint) {
        BackendMetrics m = byEndpoint.get(endpoint);
        return m == null ? BackendMetrics.DETACHED : m;
    }

    /**
     * Binds the endpoints a snapshot about to be published adds to their backends' metrics, unbinds those it no
     * longer holds, and removes the series of backends gone longer than the retention; control thread. The cost
     * follows the change, not the number of endpoints served.
     *
     * @param added   endpoints (by identity) the new snapshot holds and the last one did not
     * @param removed endpoints (by identity) the last snapshot held and the new one does not
     * @return nanoseconds until the next departed backend's series are due for removal, or -1 if none is waiting
     */
    public long bind(Collection<Endpoint> added, Collection<Endpoint> removed, long nowNanos) {
        for (Endpoint e : added) {
            String key = key(e);
            BackendMetrics m = backends.computeIfAbsent(key,
                    k -> new BackendMetrics(registry, histograms.upstream, e.service(), e.authority(),
                            summaries));
            m.bindTo(e);
            if (byEndpoint.putIfAbsent(e, m) == null && m.bound++ == 0) {
                m.goneSinceNanos = NOT_GONE;
            }
        }
        for (Endpoint e : removed) {
            BackendMetrics m = byEndpoint.remove(e);
            if (m != null && --m.bound == 0) {
                m.goneSinceNanos = nowNanos;
                departures.add(new Departure(key(e), m, nowNanos));
            }
        }
        return retireDue(nowNanos);
    }

    /** Removes the series of backends gone for the retention; returns nanoseconds until the next is due, or -1. */
    private long retireDue(long nowNanos) {
        for (Departure d = departures.peek(); d != null; d = departures.peek()) {
            if (d.metrics().goneSinceNanos != d.leftNanos() || backends.get(d.key()) != d.metrics()) {
                departures.poll(); // it came back since (and may have left again: a later departure stands for that)
                continue;
            }
            long due = d.leftNanos() + backendRetentionNanos - nowNanos;
            if (due > 0) {
                return due;
            }
            departures.poll();
            backends.remove(d.key());
            d.metrics().unregister(registry);
            log.info("metrics of backend {} removed: gone for {} ms", d.key(),
                    TimeUnit.NANOSECONDS.toMillis(nowNanos - d.leftNanos()));
        }
        return -1;
    }

    /** A backend that no snapshot holds any more, and since when. */
    private record Departure(String key, BackendMetrics metrics, long leftNanos) {}

    /** Time spent in a script's filter calls; the timer is created once per script name. */
    public Timer scriptDuration(String script) {
        Timer t = scriptTimers.get(script);
        if (t == null) {
            t = scriptTimers.computeIfAbsent(script, s -> registry.timer(
                    MetricNames.tagged("zkgate_script_duration_seconds", "script", s),
                    () -> WindowTimers.of(1024)));
        }
        return t;
    }

    /** Exposes a script's failure counters, by reason: {@code error} (it threw) and {@code limit} (stopped). */
    public void scriptFailures(String script, LongSupplier failures, LongSupplier limitsExceeded) {
        registry.gauge(MetricNames.tagged("zkgate_script_failures_total", "script", script, "reason", "error"),
                () -> (Gauge<Long>) () -> failures.getAsLong() - limitsExceeded.getAsLong());
        registry.gauge(MetricNames.tagged("zkgate_script_failures_total", "script", script, "reason", "limit"),
                () -> (Gauge<Long>) limitsExceeded::getAsLong);
    }

    /** Counts an ejection of the backend an endpoint stands for. */
    public void ejected(Endpoint endpoint) {
        BackendMetrics m = backends.get(key(endpoint));
        if (m != null) {
            m.ejected();
        }
    }

    private static String key(Endpoint e) {
        return e.service() + '/' + e.authority();
    }

    /** The mirror metrics of a route, created on first use; called when snapshots are built. */
    public MirrorMetrics mirror(String routeId) {
        return mirrors.computeIfAbsent(routeId, id -> new MirrorMetrics(id, registry));
    }

    /** The {@code zkgate_split_requests_total} counter of one side of a route's weighted split. */
    public Counter splitSide(String routeId, String service) {
        return registry.counter(MetricNames.tagged("zkgate_split_requests_total", "route", routeId,
                "service", service));
    }

    /**
     * The counter of a route's requests a policy refused or left without its headers, by reason: {@code ip_rules}
     * (403), {@code cors_origin} (an Origin the route does not allow).
     */
    public Counter refusals(String routeId, String reason) {
        return registry.counter(MetricNames.tagged("zkgate_route_refusals_total", "route", routeId, "reason", reason));
    }

    /** Counts a retry on a route, or a retry the route's budget refused. */
    public void retry(String routeId, boolean allowed) {
        registry.counter(MetricNames.tagged(allowed ? "zkgate_retries_total" : "zkgate_retries_denied_total",
                "route", routeId)).inc();
    }

    /** {@code zkgate_rate_limited_total{route}}: requests a rate limit of the route refused with 429. */
    public Counter rateLimited(String routeId) {
        return registry.counter(MetricNames.tagged("zkgate_rate_limited_total", "route", routeId));
    }

    /** {@code zkgate_overloaded_total{route}}: requests the route's {@code maxInFlight} refused with 503. */
    public Counter overloaded(String routeId) {
        return registry.counter(MetricNames.tagged("zkgate_overloaded_total", "route", routeId));
    }

    public void snapshotPublished(long version, long buildNanos) {
        snapshotVersion.set(version);
        rebuilds.inc();
        rebuildDuration.update(buildNanos, TimeUnit.NANOSECONDS);
    }

    /** Counts a ZooKeeper connection state change ({@code CONNECTED}, {@code SUSPENDED}, ...). */
    public void zooKeeperState(String state, boolean connected) {
        zkConnected.set(connected ? 1 : 0);
        registry.counter(MetricNames.tagged("zkgate_zookeeper_state_changes_total", "state",
                state.toLowerCase(Locale.ROOT))).inc();
    }

    /** Writes every series in the Prometheus text format 0.0.4. */
    public void writePrometheus(Writer out) throws IOException {
        TextFormat.write004(out, prometheus.metricFamilySamples());
    }
}
