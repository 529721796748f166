package io.zkgate.gateway.metrics;

import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Histogram;

/**
 * The request-duration histograms: Prometheus histograms ({@code _bucket}, {@code _sum}, {@code _count}) whose
 * buckets add up across gateways, so {@code histogram_quantile(0.99, sum by (le) (rate(..._bucket[1m])))} gives a
 * fleet-wide percentile, which the sliding-window summaries beside them cannot. Buckets span what a proxy sees, from
 * a quarter of a millisecond to a minute. Thread-safe: simpleclient's histograms are.
 */
final class DurationHistograms {
    /** Upper bounds in seconds: sub-millisecond answers up to long polls and slow uploads. */
    static final double[] BUCKETS = {0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
        2.5, 5, 10, 30, 60};

    /** Route request durations; replaces the summary {@code zkgate_request_duration_seconds}. */
    static final String REQUEST = "zkgate_request_latency_seconds";
    /** Upstream exchange durations; replaces the summary {@code zkgate_upstream_duration_seconds}. */
    static final String UPSTREAM = "zkgate_upstream_latency_seconds";

    final Histogram request;
    final Histogram upstream;

    DurationHistograms(CollectorRegistry registry) {
        request = Histogram.build().name(REQUEST).labelNames("route").buckets(BUCKETS)
                .help("Time from receiving a request to finishing its response, by route, in seconds (histogram: "
                        + "sum the buckets of every gateway by le for fleet-wide quantiles).")
                .register(registry);
        upstream = Histogram.build().name(UPSTREAM).labelNames("service", "backend").buckets(BUCKETS)
                .help("Time from sending a request to a backend to the end of its response, by service and backend, "
                        + "in seconds (histogram).")
                .register(registry);
    }
}
