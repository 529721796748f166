package io.zkgate.gateway.limits;

import com.codahale.metrics.Counter;
import io.zkgate.gateway.routing.Decision;
import io.zkgate.gateway.routing.ErrorResponse;
import io.zkgate.gateway.routing.HeaderEdits;
import io.zkgate.gateway.routing.RequestView;
import io.zkgate.gateway.routing.RouteEntry;
import io.zkgate.gateway.routing.RouteGuard;
import io.zkgate.schema.TrafficLimits;
import java.util.List;

/**
 * A route's {@code rateLimit}s: a request goes on only when every limit has a token for it; the first limit without
 * one answers 429 {@code rate_limited} with {@code Retry-After} and the IETF httpapi draft's {@code RateLimit-Limit},
 * {@code RateLimit-Remaining} and {@code RateLimit-Reset}, and the tokens the limits before it took are given back,
 * so a refused request counts against none of them. Allowed requests get no headers: that keeps a check free of
 * allocation.
 * Thread-safe: the limiters are.
 */
public final class RateLimitGuard implements RouteGuard {
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private final RateLimiter[] limiters;
    private final Counter refused;

    /** @param refused counts refusals; null counts nothing */
    public RateLimitGuard(List<RateLimiter> limiters, Counter refused) {
        this.limiters = limiters.toArray(new RateLimiter[0]);
        this.refused = refused;
    }

    public List<RateLimiter> limiters() {
        return List.of(limiters);
    }

    @Override
    public Decision check(RequestView request, RouteEntry route, HeaderEdits headers) {
        long now = System.nanoTime();
        for (int i = 0; i < limiters.length; i++) {
            RateLimiter limiter = limiters[i];
            String key = limiter.key(request);
            long wait = limiter.take(key, now);
            if (wait > 0) {
                for (int j = 0; j < i; j++) {
                    limiters[j].giveBack(limiters[j].key(request));
                }
                return refuse(route, limiter, key, wait, now, headers);
            }
        }
        return null;
    }

    private Decision refuse(RouteEntry route, RateLimiter limiter, String key, long waitNanos, long now,
            HeaderEdits headers) {
        if (refused != null) {
            refused.inc();
        }
        int share = limiter.share();
        int burst = limiter.burst(share);
        long retryAfter = seconds(waitNanos);
        headers.setResponse("Retry-After", Long.toString(retryAfter))
                .setResponse("RateLimit-Limit", Integer.toString(burst))
                .setResponse("RateLimit-Remaining", "0")
                .setResponse("RateLimit-Reset", Long.toString(Math.max(retryAfter,
                        seconds(limiter.nanosUntilFull(key, now)))));
        return new Decision.Refuse(route, ErrorResponse.RATE_LIMITED, "rate limit of "
                + describe(limiter.limit(), share) + " exceeded; retry in " + retryAfter + " s", headers);
    }

    /** Whole seconds, rounded up, at least 1. */
    private static long seconds(long nanos) {
        return Math.max(1, (nanos + NANOS_PER_SECOND - 1) / NANOS_PER_SECOND);
    }

    private static String describe(TrafficLimits.RateLimit limit, int share) {
        String rate = format(limit.requestsPerSecond());
        String per = switch (limit.key().kind()) {
            case ROUTE -> "for the route";
            case CLIENT_IP -> "per client address";
            case HEADER -> "per " + limit.key().header() + " header value";
        };
        String scope = limit.scope() == TrafficLimits.Scope.FLEET
                ? " across the fleet (this gateway's share: 1/" + share + ")" : "";
        return rate + " requests per second (burst " + limit.burst() + ") " + per + scope;
    }

    static String format(double rate) {
        return rate == Math.rint(rate) ? Long.toString((long) rate) : Double.toString(rate);
    }
}
