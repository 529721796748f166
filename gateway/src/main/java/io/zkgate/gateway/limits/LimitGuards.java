package io.zkgate.gateway.limits;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.benmanes.caffeine.cache.Ticker;
import io.zkgate.gateway.fleet.FleetSize;
import io.zkgate.gateway.metrics.GatewayMetrics;
import io.zkgate.gateway.metrics.MetricNames;
import io.zkgate.gateway.routing.RouteGuard;
import io.zkgate.schema.Route;
import io.zkgate.schema.TrafficLimits;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Builds a route's rate-limit and concurrency guards when the snapshot builds its entry, in their place in the guard
 * order (rate limits, then the concurrency cap). State outlives a route's versions: a route keeps its buckets while
 * its {@code rateLimit} stays the same (so editing its timeouts does not hand every client a fresh burst), and its
 * in-flight count for as long as the gateway runs. Also the admin view of each route's limits.
 * Thread-safe: {@link #of} and {@link #forget} run on the control thread; {@link #describe} reads concurrent maps.
 */
public final class LimitGuards {
    /** Keys each keyed rate limit keeps at most when the gateway is not told otherwise. */
    public static final int DEFAULT_MAX_KEYS = 100_000;

    private final GatewayMetrics metrics;
    private final FleetSize fleet;
    private final int maxKeys;
    private final Ticker ticker;
    private final Map<String, RateLimitGuard> rateGuards = new ConcurrentHashMap<>();
    private final Map<String, ConcurrencyGuard> caps = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();

    /**
     * @param metrics where refusals are counted, or null
     * @param maxKeys the most keys one keyed rate limit keeps at once
     */
    public LimitGuards(GatewayMetrics metrics, FleetSize fleet, int maxKeys, Ticker ticker) {
        this.metrics = metrics;
        this.fleet = fleet;
        this.maxKeys = maxKeys;
        this.ticker = ticker;
    }

    /** Limits for a gateway that is not in a fleet and counts nothing (tests of other parts). */
    public static LimitGuards standalone() {
        return new LimitGuards(null, new FleetSize(), DEFAULT_MAX_KEYS, Ticker.systemTicker());
    }

    /** The route's limit guards in the fixed guard order; empty when it has none. */
    public List<RouteGuard> of(Route route) {
        TrafficLimits limits = route.trafficLimits();
        String id = route.id();
        List<RouteGuard> guards = new ArrayList<>(2);
        if (limits == null || limits.rateLimits().isEmpty()) {
            rateGuards.remove(id);
        } else {
            RateLimitGuard guard = rateGuards.get(id);
            if (guard == null || !sameLimits(guard, limits.rateLimits())) {
                List<RateLimiter> limiters = new ArrayList<>();
                for (TrafficLimits.RateLimit limit : limits.rateLimits()) {
                    limiters.add(new RateLimiter(limit, fleet, maxKeys, ticker));
                }
                guard = new RateLimitGuard(limiters, metrics == null ? null : metrics.rateLimited(id));
                rateGuards.put(id, guard);
            }
            guards.add(guard);
        }
        if (limits == null || limits.maxInFlight() == null) {
            caps.remove(id);
        } else {
            AtomicInteger count = inFlight.computeIfAbsent(id, this::newInFlight);
            ConcurrencyGuard cap = caps.get(id);
            if (cap == null || cap.max() != limits.maxInFlight()) {
                cap = new ConcurrencyGuard(limits.maxInFlight(), count, metrics == null ? null : metrics.overloaded(id));
                caps.put(id, cap);
            }
            guards.add(cap);
        }
        return guards;
    }

    private AtomicInteger newInFlight(String routeId) {
        AtomicInteger count = new AtomicInteger();
        if (metrics != null) {
            metrics.registry().gauge(MetricNames.tagged("zkgate_route_in_flight", "route", routeId),
                    () -> (Gauge<Integer>) count::get);
        }
        return count;
    }

    private static boolean sameLimits(RateLimitGuard guard, List<TrafficLimits.RateLimit> limits) {
        List<RateLimiter> limiters = guard.limiters();
        if (limiters.size() != limits.size()) {
            return false;
        }
        for (int i = 0; i < limits.size(); i++) {
            if (!limiters.get(i).limit().equals(limits.get(i))) {
                return false;
            }
        }
        return true;
    }

    /** The route is gone: its buckets go (its in-flight count stays for requests still under way). */
    public void forget(String routeId) {
        rateGuards.remove(routeId);
        caps.remove(routeId);
    }

    /** What the route's limits are and how they stand now, for {@code /admin/routes}; null when it has none. */
    public ObjectNode describe(String routeId) {
        RateLimitGuard rates = rateGuards.get(routeId);
        ConcurrencyGuard cap = caps.get(routeId);
        if (rates == null && cap == null) {
            return null;
        }
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        if (rates != null) {
            var list = out.putArray("rateLimits");
            for (RateLimiter limiter : rates.limiters()) {
                TrafficLimits.RateLimit limit = limiter.limit();
                int share = limiter.share();
                ObjectNode l = list.addObject();
                l.put("requestsPerSecond", limit.requestsPerSecond());
                l.put("burst", limit.burst());
                l.put("key", limit.key().toString());
                l.put("scope", limit.scope().wireName());
                l.put("gateways", share);
                l.put("thisGatewayRequestsPerSecond", limiter.requestsPerSecond(share));
                l.put("thisGatewayBurst", limiter.burst(share));
                l.put("keys", limiter.keys());
                l.put("maxKeys", limit.key().kind() == TrafficLimits.Key.Kind.ROUTE ? 1 : maxKeys);
            }
            if (metrics != null) {
                out.put("rateLimited", metrics.rateLimited(routeId).getCount());
            }
        }
        if (cap != null) {
            out.put("maxInFlight", cap.max());
            out.put("inFlight", cap.inFlight());
            if (metrics != null) {
                Counter overloaded = metrics.overloaded(routeId);
                out.put("overloaded", overloaded.getCount());
            }
        }
        return out;
    }
}
