package io.zkgate.gateway.auth;

import com.codahale.metrics.Counter;
import io.zkgate.gateway.metrics.GatewayMetrics;
import io.zkgate.gateway.metrics.MetricNames;
import io.zkgate.gateway.routing.Decision;
import io.zkgate.gateway.routing.ErrorResponse;
import io.zkgate.gateway.routing.HeaderEdits;
import io.zkgate.gateway.routing.RouteEntry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A route's refused requests, counted in {@code zkgate_auth_rejected_total{route,reason}}, and the refusal itself:
 * the contract's JSON body with a challenge header. The reason is for operators only; the client learns no more
 * than the challenge's RFC 6750 error code. Thread-safe.
 */
final class AuthRejections {
    private final GatewayMetrics metrics;
    private final String route;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();

    AuthRejections(GatewayMetrics metrics, String route) {
        this.metrics = metrics;
        this.route = route;
    }

    /** Counts a refusal for {@code reason} and answers 401 with {@code challenge} as WWW-Authenticate. */
    Decision unauthorized(RouteEntry entry, HeaderEdits headers, String reason, String challenge, String message) {
        count(reason);
        return new Decision.Refuse(entry, ErrorResponse.UNAUTHORIZED, message,
                headers.setResponse("WWW-Authenticate", challenge));
    }

    void count(String reason) {
        if (metrics != null) {
            counters.computeIfAbsent(reason, r -> metrics.registry().counter(
                    MetricNames.tagged("zkgate_auth_rejected_total", "route", route, "reason", r))).inc();
        }
    }
}
