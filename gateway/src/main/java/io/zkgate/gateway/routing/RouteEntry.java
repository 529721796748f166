package io.zkgate.gateway.routing;

import io.zkgate.gateway.balancer.Balancer;
import io.zkgate.gateway.metrics.RouteMetrics;
import io.zkgate.gateway.scripting.RouteScript;
import io.zkgate.schema.Route;
import java.util.List;
import java.util.Set;

/**
 * A route compiled for the request path: the match in the form the matcher compares, the balancer over its
 * service's instances in this snapshot, for consistent hashing the compiled hash-key reader, its Lua filter if it
 * names one, and its metrics. Immutable.
 */
public final class RouteEntry {
    private final Route route;
    private final String host;
    private final String prefix;
    private final String[] methods;
    private final Balancer balancer;
    private final RequestKey requestKey;
    private final UpstreamPolicy upstream;
    private final long version;
    private final RouteMetrics metrics;
    private final RouteScript script;
    private final RouteGuard[] guards;
    private final Traffic traffic;
    /** Header, query and cookie conditions, each counting one, plus one for a methods list: precedence at a prefix. */
    private final int conditionCount;
    /** Whether backends are reached over TLS ({@code upstream.tls}, or {@code h2}), on their TLS port. */
    private final boolean upstreamTls;

    /**
     * @param route             the validated route
     * @param znodeVersion      the version of the route's znode this entry was built from
     * @param balancer          the balancer over the service's routable instances
     * @param upstream          the route's timeouts and retries, defaults filled in
     * @param metrics           the route's request metrics
     * @param script            the route's Lua filter as of this snapshot (possibly an unavailable one), or null
     */
    public RouteEntry(Route route, long znodeVersion, Balancer balancer, UpstreamPolicy upstream, RouteMetrics metrics,
            RouteScript script) {
        this(route, znodeVersion, balancer, upstream, metrics, script, List.of());
    }

    /** @param guards the route's declarative policies, in the order {@link RouteGuard} gives */
    public RouteEntry(Route route, long znodeVersion, Balancer balancer, UpstreamPolicy upstream, RouteMetrics metrics,
            RouteScript script, List<RouteGuard> guards) {
        this(route, znodeVersion, balancer, upstream, metrics, script, new Traffic(MatchConditions.of(route), 0, null),
                guards);
    }

    /** @param traffic the route's compiled match conditions, creation order and mirror */
    public RouteEntry(Route route, long znodeVersion, Balancer balancer, UpstreamPolicy upstream, RouteMetrics metrics,
            RouteScript script, Traffic traffic) {
        this(route, znodeVersion, balancer, upstream, metrics, script, traffic, List.of());
    }

    /**
     * @param traffic the route's compiled match conditions, creation order and mirror
     * @param guards  the route's declarative policies, in the order {@link RouteGuard} gives
     */
    public RouteEntry(Route route, long znodeVersion, Balancer balancer, UpstreamPolicy upstream, RouteMetrics metrics,
            RouteScript script, Traffic traffic, List<RouteGuard> guards) {
        this.route = route;
        this.guards = guards.toArray(new RouteGuard[0]);
        this.traffic = traffic;
        this.conditionCount = (traffic.conditions() == null ? 0 : traffic.conditions().count())
                + (route.match().methods().isEmpty() ? 0 : 1);
        this.script = script;
        this.host = route.match().host();
        String p = route.match().normalizedPrefix();
        this.prefix = p.equals("/") ? "" : p;
        this.methods = route.match().methods().toArray(new String[0]);
        this.balancer = balancer;
        this.requestKey = RequestKey.forRoute(route);
        this.upstream = upstream;
        this.version = znodeVersion;
        this.metrics = metrics;
        this.upstreamTls = route.upstreamTls() != null;
    }

    /** Whether backends are reached over TLS, on their registered {@code sslPort} (else their port). */
    public boolean upstreamTls() {
        return upstreamTls;
    }

    public RouteMetrics metrics() {
        return metrics;
    }

    public Route route() {
        return route;
    }

    /**
     * What a route adds to prefix routing: its compiled match conditions (null for none), its znode's creation zxid
     * (the tie-breaker between routes of equal precedence; 0 when unknown, then the id decides), and its mirror
     * (null for none). Immutable.
     */
    public record Traffic(MatchConditions conditions, long createdZxid, RouteMirror mirror) {}

    public Traffic traffic() {
        return traffic;
    }

    /** The route's mirror as of this snapshot, or null. */
    public RouteMirror mirror() {
        return traffic.mirror();
    }

    /** Precedence among routes at one prefix: each header, query and cookie condition and a methods list count one. */
    int conditionCount() {
        return conditionCount;
    }

    long createdZxid() {
        return traffic.createdZxid();
    }

    /** Whether the route's header, query and cookie conditions hold for {@code request} (always, without any). */
    boolean matchesConditions(RequestView request) {
        MatchConditions c = traffic.conditions();
        return c == null || c.test(request);
    }

    public String id() {
        return route.id();
    }

    /** The route's service, or null for a weighted split over several ({@link Route#services()}). */
    public String service() {
        return route.service();
    }

    public Balancer balancer() {
        return balancer;
    }

    /** How to read the consistent-hash key from a request; null when the route has none to read. */
    public RequestKey requestKey() {
        return requestKey;
    }

    public long responseTimeoutMs() {
        return upstream.responseTimeoutMs();
    }

    public UpstreamPolicy upstream() {
        return upstream;
    }

    public long znodeVersion() {
        return version;
    }

    /** The route's policies in the order they run; empty for none. Callers must not write the array. */
    RouteGuard[] guards() {
        return guards;
    }

    /** The route's Lua filter, or null when the route names no script. */
    public RouteScript script() {
        return script;
    }

    public boolean stripPrefix() {
        return route.stripPrefix();
    }

    /** The normalized prefix, empty for the root prefix; its length is what {@code stripPrefix} removes. */
    public String prefix() {
        return prefix;
    }

    String host() {
        return host;
    }

    /** The methods the route takes; empty for any. */
    public Set<String> methods() {
        return route.match().methods();
    }

    boolean hasMethods() {
        return methods.length > 0;
    }

    /** Whether {@code path} starts with the prefix on a segment boundary: "/api" takes /api and /api/x, not /apix. */
    boolean matchesPath(String path) {
        int n = prefix.length();
        return path.startsWith(prefix) && (path.length() == n || path.charAt(n) == '/' || n == 0);
    }

    boolean matchesMethod(String method) {
        if (methods.length == 0) {
            return true;
        }
        for (String m : methods) {
            if (m.equals(method)) {
                return true;
            }
        }
        return false;
    }
}
