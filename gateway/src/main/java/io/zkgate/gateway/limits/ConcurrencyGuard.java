package io.zkgate.gateway.limits;

import com.codahale.metrics.Counter;
import io.zkgate.gateway.routing.Decision;
import io.zkgate.gateway.routing.ErrorResponse;
import io.zkgate.gateway.routing.HeaderEdits;
import io.zkgate.gateway.routing.RequestView;
import io.zkgate.gateway.routing.RouteEntry;
import io.zkgate.gateway.routing.RouteGuard;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A route's {@code maxInFlight}: a request beyond that many under way is answered 503 {@code overloaded} at once,
 * never queued (Envoy's circuit-breaker thresholds). The count belongs to the route id, not to one version of the
 * route, so that an edit does not let a second batch in while the first is still under way; a request is counted out
 * by {@link #ended} when it ends, which every front door calls exactly once.
 * Thread-safe: one atomic counter.
 */
public final class ConcurrencyGuard implements RouteGuard {
    private final int max;
    private final AtomicInteger inFlight;
    private final Counter refused;

    /**
     * @param inFlight the route id's count of requests under way, shared by its versions
     * @param refused  counts refusals; null counts nothing
     */
    public ConcurrencyGuard(int max, AtomicInteger inFlight, Counter refused) {
        this.max = max;
        this.inFlight = inFlight;
        this.refused = refused;
    }

    @Override
    public Decision check(RequestView request, RouteEntry route, HeaderEdits headers) {
        if (inFlight.incrementAndGet() <= max) {
            return null;
        }
        inFlight.decrementAndGet();
        if (refused != null) {
            refused.inc();
        }
        return new Decision.Refuse(route, ErrorResponse.OVERLOADED, "the route has its maximum of " + max
                + " requests in flight (maxInFlight); try again shortly", headers);
    }

    @Override
    public boolean holdsUntilEnd() {
        return true;
    }

    @Override
    public void ended() {
        inFlight.decrementAndGet();
    }

    public int max() {
        return max;
    }

    /** Requests under way now. */
    public int inFlight() {
        return inFlight.get();
    }
}
