package io.zkgate.gateway.metrics;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import io.zkgate.gateway.balancer.Endpoint;
import java.util.concurrent.TimeUnit;

/**
 * Metrics of one backend of one service: picks, upstream latency and failures, and in-flight requests read from the
 * backend's current endpoint. Thread-safe: Dropwizard metrics are; the endpoint reference is volatile.
 */
public final class BackendMetrics {
    static final BackendMetrics DETACHED = new BackendMetrics(new MetricRegistry(), "(detached)", "(detached)");

    private final Counter picks;
    private final Timer upstream;
    private final Counter timeouts;
    private final Counter errors;
    private volatile Endpoint endpoint;

    BackendMetrics(MetricRegistry registry, String service, String backend) {
        registry.gauge(MetricNames.tagged("zkgate_backend_in_flight", "service", service, "backend", backend),
                () -> (Gauge<Integer>) () -> endpoint == null ? 0 : endpoint.inFlight());
        registry.gauge(MetricNames.tagged("zkgate_backend_ejected", "service", service, "backend", backend),
                () -> (Gauge<Integer>) () -> endpoint != null && endpoint.health().ejected(System.nanoTime()) ? 1 : 0);
        picks = registry.counter(MetricNames.tagged("zkgate_backend_picks_total", "service", service, "backend", backend));
        upstream = registry.timer(MetricNames.tagged("zkgate_upstream_duration_seconds", "service", service,
                "backend", backend), () -> new Timer(new SlidingWindowReservoir(1024)));
        timeouts = registry.counter(MetricNames.tagged("zkgate_upstream_failures_total", "service", service,
                "backend", backend, "kind", "timeout"));
        errors = registry.counter(MetricNames.tagged("zkgate_upstream_failures_total", "service", service,
                "backend", backend, "kind", "error"));
    }

    void bindTo(Endpoint current) {
        endpoint = current;
    }

    public void picked() {
        picks.inc();
    }

    public void responded(long nanos) {
        upstream.update(nanos, TimeUnit.NANOSECONDS);
    }

    public void failed(boolean timeout) {
        (timeout ? timeouts : errors).inc();
    }

    public long picks() {
        return picks.getCount();
    }

    public long failures() {
        return timeouts.getCount() + errors.getCount();
    }
}
