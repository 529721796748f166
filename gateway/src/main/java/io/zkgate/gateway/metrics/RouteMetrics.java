package io.zkgate.gateway.metrics;

import com.codahale.metrics.Counter;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import io.prometheus.client.Histogram;
import java.util.concurrent.TimeUnit;

/**
 * Request metrics of one route: {@code zkgate_requests_total{route,method,status}}, the histogram
 * {@code zkgate_request_latency_seconds{route}} and, for one more release, the summary
 * {@code zkgate_request_duration_seconds{route}}. Counters are created on first use and cached in an array indexed
 * by method and status class, so recording is two array reads, one adder increment, one timer update and one
 * histogram observation. The duration series are likewise registered on the route's first request, so a route that
 * never saw one (most of a large table, on any one gateway) costs a few hundred bytes, not kilobytes.
 * Thread-safe: racing first uses get the same counter from the registry; counters are safely published through
 * their final fields; the duration series are created once under this object's lock and published through final
 * fields.
 */
public final class RouteMetrics {
    static final String[] METHODS = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "OTHER"};
    static final String[] STATUS_CLASSES = {"1xx", "2xx", "3xx", "4xx", "5xx"};
    static final double NANOS_PER_SECOND = 1e9;

    private final String route;
    private final MetricRegistry registry;
    private final Counter[] requests = new Counter[METHODS.length * STATUS_CLASSES.length];
    private final Histogram latencies;
    private final boolean summaries;
    /**
     * Null until the first request. Read without a lock: a reader that sees null takes the lock and finds or creates
     * the series; one that sees it sees its final fields whole.
     */
    private Durations durations;

    /** @param summaries whether the route also keeps the deprecated summary */
    RouteMetrics(String route, MetricRegistry registry, Histogram latencies, boolean summaries) {
        this.route = route;
        this.registry = registry;
        this.latencies = latencies;
        this.summaries = summaries;
    }

    /** The summary (null when off) and the histogram of one route. Immutable references to thread-safe metrics. */
    private record Durations(Timer summary, Histogram.Child histogram) {}

    private synchronized Durations openDurations() {
        if (durations == null) {
            durations = new Durations(summaries ? registry.timer(MetricNames.tagged("zkgate_request_duration_seconds",
                    "route", route), () -> WindowTimers.of(1024)) : null, latencies.labels(route));
        }
        return durations;
    }

    public void record(String method, int status, long nanos) {
        int i = methodIndex(method) * STATUS_CLASSES.length + statusClass(status);
        Counter c = requests[i];
        if (c == null) {
            c = registry.counter(MetricNames.tagged("zkgate_requests_total", "route", route,
                    "method", METHODS[methodIndex(method)], "status", STATUS_CLASSES[statusClass(status)]));
            requests[i] = c;
        }
        c.inc();
        Durations d = durations;
        if (d == null) {
            d = openDurations();
        }
        Timer summary = d.summary();
        if (summary != null) {
            summary.update(nanos, TimeUnit.NANOSECONDS);
        }
        d.histogram().observe(nanos / NANOS_PER_SECOND);
    }

    /** Requests answered so far, all statuses. */
    public long requests() {
        long n = 0;
        for (Counter c : requests) {
            n += c == null ? 0 : c.getCount();
        }
        return n;
    }

    /** Requests answered with a 5xx status so far. */
    public long serverErrors() {
        long n = 0;
        for (int m = 0; m < METHODS.length; m++) {
            Counter c = requests[m * STATUS_CLASSES.length + 4];
            n += c == null ? 0 : c.getCount();
        }
        return n;
    }

    static int methodIndex(String method) {
        return switch (method) {
            case "GET" -> 0;
            case "HEAD" -> 1;
            case "POST" -> 2;
            case "PUT" -> 3;
            case "DELETE" -> 4;
            case "PATCH" -> 5;
            case "OPTIONS" -> 6;
            default -> 7;
        };
    }

    static int statusClass(int status) {
        int c = status / 100 - 1;
        return c < 0 ? 0 : Math.min(c, 4);
    }
}
