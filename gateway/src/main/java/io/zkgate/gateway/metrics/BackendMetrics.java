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
 * failures, and in-flight requests read from the
 * backend's current endpoint. Thread-safe: Dropwizard metrics are; the endpoint reference is volatile; the binding
 * bookkeeping fields are confined to the control thread.
 */
public final class BackendMetrics {
    static final BackendMetrics DETACHED = new BackendMetrics(new MetricRegistry(),
            new DurationHistograms(new CollectorRegistry()).upstream, "(detached)", "(detached)");

    private final List<String> names;
    private final Counter picks;
    private final Timer upstream;
    private final Counter timeouts;
    private final Counter errors;
    private final Counter ejections;
    private final Histogram latencies;
    private final Histogram.Child latency;
    private final String service;
    private final String backend;
    private volatile Endpoint endpoint;
    /** Endpoints of the served snapshot that stand for this backend; control thread only. */
    int bound;
    /** When the last of them left the served snapshot; {@code Long.MIN_VALUE} while one is served. Control thread. */
    long goneSinceNanos = Long.MIN_VALUE;

    BackendMetrics(MetricRegistry registry, Histogram latencies, String service, String backend) {
        this.latencies = latencies;
        this.latency = latencies.labels(service, backend);
        this.service = service;
        this.backend = backend;
        String inFlight = MetricNames.tagged("zkgate_backend_in_flight", "service", service, "backend", backend);
        String ejected = MetricNames.tagged("zkgate_backend_ejected", "service", service, "backend", backend);
        String pickCount = MetricNames.tagged("zkgate_backend_picks_total", "service", service, "backend", backend);
        String duration = MetricNames.tagged("zkgate_upstream_duration_seconds", "service", service, "backend", backend);
        String timeoutCount = MetricNames.tagged("zkgate_upstream_failures_total", "service", service,
                "backend", backend, "kind", "timeout");
        String errorCount = MetricNames.tagged("zkgate_upstream_failures_total", "service", service,
                "backend", backend, "kind", "error");
        String ejectionCount = MetricNames.tagged("zkgate_backend_ejections_total", "service", service,
                "backend", backend);
        names = List.of(inFlight, ejected, pickCount, duration, timeoutCount, errorCount, ejectionCount);
        registry.gauge(inFlight, () -> (Gauge<Integer>) () -> endpoint == null ? 0 : endpoint.inFlight());
        registry.gauge(ejected,
                () -> (Gauge<Integer>) () -> endpoint != null && endpoint.health().ejected(System.nanoTime()) ? 1 : 0);
        picks = registry.counter(pickCount);
        upstream = registry.timer(duration, () -> new Timer(new SlidingWindowReservoir(1024)));
        timeouts = registry.counter(timeoutCount);
        errors = registry.counter(errorCount);
        ejections = registry.counter(ejectionCount);
    }

    /** Removes this backend's series from the registry: it is gone and its series would only pile up. */
    void unregister(MetricRegistry registry) {
        for (String name : names) {
            registry.remove(name);
        }
        latencies.remove(service, backend);
    }

    void bindTo(Endpoint current) {
        endpoint = current;
    }

    public void picked() {
        picks.inc();
    }

    public void responded(long nanos) {
        upstream.update(nanos, TimeUnit.NANOSECONDS);
        latency.observe(nanos / RouteMetrics.NANOS_PER_SECOND);
    }

    public void failed(boolean timeout) {
        (timeout ? timeouts : errors).inc();
    }

    void ejected() {
        ejections.inc();
    }

    public long picks() {
        return picks.getCount();
    }

    public long failures() {
        return timeouts.getCount() + errors.getCount();
    }
}
