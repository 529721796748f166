package io.zkgate.gateway.routing;

import io.zkgate.gateway.balancer.Balancer;
import io.zkgate.gateway.balancer.Endpoint;
import io.zkgate.gateway.metrics.MirrorMetrics;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A route's {@code mirror} as of one snapshot: which requests are copied and to which backend. Sampling is
 * deterministic, not random: request n is copied when {@code floor((n + 1) * p) > floor(n * p)} for the share p, so
 * 10 percent copies exactly one request in ten, spread evenly. Thread-safe and lock-free: one atomic increment per
 * request of a mirrored route.
 */
public final class RouteMirror {
    private static final long PER_MILLION = 1_000_000;

    private final String service;
    private final double percent;
    private final long partsPerMillion;
    private final Balancer balancer;
    private final MirrorMetrics metrics;
    private final AtomicLong seen = new AtomicLong();

    /**
     * @param balancer round-robin over the mirror service's routable instances in this snapshot
     * @param metrics  the route's mirror metrics, or null when metrics are off
     */
    public RouteMirror(String service, double percent, Balancer balancer, MirrorMetrics metrics) {
        this.service = service;
        this.percent = percent;
        this.partsPerMillion = Math.round(percent * PER_MILLION / 100);
        this.balancer = balancer;
        this.metrics = metrics;
    }

    /**
     * The mirror backend this request's copy goes to, or null when it is not copied (not sampled, or the mirror
     * service has no routable instance, which is counted).
     */
    Endpoint sample() {
        if (partsPerMillion < PER_MILLION) {
            long n = seen.getAndIncrement();
            if ((n + 1) * partsPerMillion / PER_MILLION == n * partsPerMillion / PER_MILLION) {
                return null;
            }
        }
        Endpoint e = balancer.pick(null);
        if (e == null) {
            count(MirrorMetrics.Result.NO_INSTANCES);
        }
        return e;
    }

    /** Counts what became of a copy (or why it was not sent). */
    public void count(MirrorMetrics.Result result) {
        if (metrics != null) {
            metrics.count(result);
        }
    }

    public String service() {
        return service;
    }

    public double percent() {
        return percent;
    }

    /** The mirror service's routable instances in this snapshot. */
    public int instances() {
        return balancer.endpoints().length;
    }
}
