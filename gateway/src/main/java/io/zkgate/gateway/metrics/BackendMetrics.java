package io.zkgate.gateway.metrics;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Histogram;
import io.zkgate.gateway.balancer.Endpoint;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Metrics of one backend of one service: picks, upstream latency (histogram and, for one more release, summary) and
 * failures, and in-flight requests read from the backend's current endpoint. The series are registered when the
 * backend is first picked: a large table holds tens of thousands of backends, most of them idle on any one gateway,
 * and an idle backend then costs a hundred bytes instead of a few kilobytes (it has no series until then; a picked one
 * exports exactly what it always did). Thread-safe: Dropwizard and simpleclient metrics are; the series are published
 * once through final fields, created and removed under this object's lock (taken on first use and on removal only);
 * the binding bookkeeping fields are confined to the control thread.
 */
public final class BackendMetrics {
    static final BackendMetrics DETACHED = detached();

    private final MetricRegistry registry;
    private final Histogram latencies;
    private final String service;
    private final String backend;
    private final boolean summaries;
    private volatile Endpoint endpoint;
    /**
     * Null until the first pick. Read without a lock on the request path: a reader that sees null takes the lock
     * and finds or creates the series; one that sees it sees its final fields whole.
     */
    private Series series;
    /** Set under the lock when the series were removed: a late first use then records into the detached ones. */
    private boolean removed;
    /** Endpoints of the served snapshot that stand for this backend; control thread only. */
    int bound;
    /** When the last of them left the served snapshot; {@code Long.MIN_VALUE} while one is served. Control thread. */
    long goneSinceNanos = Long.MIN_VALUE;

    /** @param summaries whether the backend also keeps the deprecated summary */
    BackendMetrics(MetricRegistry registry, Histogram latencies, String service, String backend, boolean summaries) {
        this.registry = registry;
        this.latencies = latencies;
        this.service = service;
        this.backend = backend;
        this.summaries = summaries;
    }

    private static BackendMetrics detached() {
        BackendMetrics m = new BackendMetrics(new MetricRegistry(),
                new DurationHistograms(new CollectorRegistry()).upstream, "(detached)", "(detached)", false);
        m.series();
        return m;
    }

    /** The registered series of one backend. Immutable references to thread-safe metrics. */
    private static final class Series {
        final List<String> names;
        final Counter picks;
        /** The deprecated summary, null when off. */
        final Timer upstream;
        final Counter timeouts;
        final Counter errors;
        final Counter ejections;
        final Histogram.Child latency;

        Series(BackendMetrics m) {
            String service = m.service;
            String backend = m.backend;
            MetricRegistry registry = m.registry;
            String inFlight = MetricNames.tagged("zkgate_backend_in_flight", "service", service, "backend", backend);
            String ejected = MetricNames.tagged("zkgate_backend_ejected", "service", service, "backend", backend);
            String pickCount = MetricNames.tagged("zkgate_backend_picks_total", "service", service, "backend", backend);
            String duration = MetricNames.tagged("zkgate_upstream_duration_seconds", "service", service,
                    "backend", backend);
            String timeoutCount = MetricNames.tagged("zkgate_upstream_failures_total", "service", service,
                    "backend", backend, "kind", "timeout");
            String errorCount = MetricNames.tagged("zkgate_upstream_failures_total", "service", service,
                    "backend", backend, "kind", "error");
            String ejectionCount = MetricNames.tagged("zkgate_backend_ejections_total", "service", service,
                    "backend", backend);
            names = m.summaries ? List.of(inFlight, ejected, pickCount, duration, timeoutCount, errorCount,
                    ejectionCount) : List.of(inFlight, ejected, pickCount, timeoutCount, errorCount, ejectionCount);
            registry.gauge(inFlight, () -> (Gauge<Integer>) () -> {
                Endpoint e = m.endpoint;
                return e == null ? 0 : e.inFlight();
            });
            registry.gauge(ejected, () -> (Gauge<Integer>) () -> {
                Endpoint e = m.endpoint;
                return e != null && e.health().ejected(System.nanoTime()) ? 1 : 0;
            });
            picks = registry.counter(pickCount);
            upstream = m.summaries ? registry.timer(duration, () -> WindowTimers.of(1024)) : null;
            timeouts = registry.counter(timeoutCount);
            errors = registry.counter(errorCount);
            ejections = registry.counter(ejectionCount);
            latency = m.latencies.labels(service, backend);
        }
    }

    /** The series, registered on first use; the detached ones once this backend's were removed. */
    private Series series() {
        Series s = series;
        return s != null ? s : open();
    }

    private synchronized Series open() {
        if (series == null) {
            if (removed) {
                return DETACHED.series;
            }
            series = new Series(this);
        }
        return series;
    }

    /** Removes this backend's series from the registry: it is gone and its series would only pile up. */
    synchronized void unregister(MetricRegistry registry) {
        removed = true;
        if (series == null) {
            return;
        }
        for (String name : series.names) {
            registry.remove(name);
        }
        latencies.remove(service, backend);
    }

    void bindTo(Endpoint current) {
        endpoint = current;
    }

    public void picked() {
        series().picks.inc();
    }

    public void responded(long nanos) {
        Series s = series();
        if (s.upstream != null) {
            s.upstream.update(nanos, TimeUnit.NANOSECONDS);
        }
        s.latency.observe(nanos / RouteMetrics.NANOS_PER_SECOND);
    }

    public void failed(boolean timeout) {
        Series s = series();
        (timeout ? s.timeouts : s.errors).inc();
    }

    void ejected() {
        series().ejections.inc();
    }

    public long picks() {
        Series s = series;
        return s == null ? 0 : s.picks.getCount();
    }

    public long failures() {
        Series s = series;
        return s == null ? 0 : s.timeouts.getCount() + s.errors.getCount();
    }
}
