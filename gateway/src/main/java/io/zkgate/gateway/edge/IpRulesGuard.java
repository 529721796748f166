package io.zkgate.gateway.edge;

import com.codahale.metrics.Counter;
import io.zkgate.gateway.routing.Decision;
import io.zkgate.gateway.routing.ErrorResponse;
import io.zkgate.gateway.routing.HeaderEdits;
import io.zkgate.gateway.routing.RequestView;
import io.zkgate.gateway.routing.RouteEntry;
import io.zkgate.gateway.routing.RouteGuard;
import io.zkgate.schema.Cidr;
import io.zkgate.schema.Route;
import java.util.List;

/**
 * A route's {@code ipRules}: the client's address ({@link RequestView#clientIp()}, so behind a trusted proxy the
 * client it forwarded for, never an address a client wrote itself) in a {@code deny} range, or in no {@code allow}
 * range when there are any, is refused with 403 {@code forbidden} before authentication, Lua and the backend.
 * Immutable and thread-safe.
 */
final class IpRulesGuard implements RouteGuard {
    private final Cidr[] allow;
    private final Cidr[] deny;
    private final Counter refused;

    /** @param refused counts refused requests, or null */
    IpRulesGuard(Route.IpRules rules, Counter refused) {
        this.allow = parse(rules.allow());
        this.deny = parse(rules.deny());
        this.refused = refused;
    }

    private static Cidr[] parse(List<String> cidrs) {
        return cidrs.stream().map(Cidr::parse).toArray(Cidr[]::new); // validated by the route codec
    }

    @Override
    public Decision check(RequestView request, RouteEntry route, HeaderEdits headers) {
        String client = request.clientIp();
        byte[] address = Cidr.literal(client);
        if (address != null && !in(deny, address) && (allow.length == 0 || in(allow, address))) {
            return null;
        }
        if (refused != null) {
            refused.inc();
        }
        return new Decision.Refuse(route, ErrorResponse.FORBIDDEN,
                "client address " + client + " is not allowed on route '" + route.id() + "'", headers);
    }

    private static boolean in(Cidr[] ranges, byte[] address) {
        for (Cidr range : ranges) {
            if (range.contains(address)) {
                return true;
            }
        }
        return false;
    }
}
