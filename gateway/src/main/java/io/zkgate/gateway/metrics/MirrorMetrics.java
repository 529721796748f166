package io.zkgate.gateway.metrics;

import com.codahale.metrics.Counter;
import com.codahale.metrics.MetricRegistry;

/**
 * Mirrored copies of one route's requests: {@code zkgate_mirror_requests_total{route,result}}, where result is the
 * mirror backend's status class ({@code 2xx} ... {@code 5xx}), {@code error} (it could not be reached or failed),
 * {@code timeout}, or why a copy was not sent: {@code dropped} (the gateway's bound on copies in flight was reached),
 * {@code body_too_large} (the body is over the buffered limit, or streamed), {@code no_instances} (the mirror
 * service has no routable instance). Counters are created once per route, when its snapshot entry is built.
 * Thread-safe.
 */
public final class MirrorMetrics {
    /** Why a copy was not sent, or what became of it. */
    public enum Result {
        STATUS_1XX("1xx"), STATUS_2XX("2xx"), STATUS_3XX("3xx"), STATUS_4XX("4xx"), STATUS_5XX("5xx"),
        ERROR("error"), TIMEOUT("timeout"), DROPPED("dropped"), BODY_TOO_LARGE("body_too_large"),
        NO_INSTANCES("no_instances");

        final String label;

        Result(String label) {
            this.label = label;
        }

        /** The result for a mirror backend's status code. */
        public static Result of(int status) {
            return values()[Math.max(0, Math.min(4, status / 100 - 1))];
        }
    }

    private final Counter[] counters = new Counter[Result.values().length];

    MirrorMetrics(String route, MetricRegistry registry) {
        for (Result r : Result.values()) {
            counters[r.ordinal()] = registry.counter(MetricNames.tagged("zkgate_mirror_requests_total", "route", route,
                    "result", r.label));
        }
    }

    public void count(Result result) {
        counters[result.ordinal()].inc();
    }

    /** Copies counted with {@code result} so far. */
    public long total(Result result) {
        return counters[result.ordinal()].getCount();
    }
}
