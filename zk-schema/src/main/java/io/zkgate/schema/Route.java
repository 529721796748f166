package io.zkgate.schema;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Set;

/**
 * A route, version 1 of the route JSON. Optional values are null when the document leaves them out, so that
 * writing a route back produces the document the operator wrote; {@link #policy()} and friends give the defaults.
 *
 * @param id          route id, equal to its znode name
 * @param match       what requests the route takes
 * @param service     the service (child of the services root) that serves it
 * @param stripPrefix whether the matched path prefix is removed before forwarding
 * @param lb          load balancing, null for round-robin
 * @param timeouts    upstream timeouts, null for the gateway's defaults
 * @param retries     retries, null for the gateway's defaults
 * @param script      name of the Lua filter under the scripts root, or null
 * @param limits      request limits, null for the gateway's defaults
 * @param healthCheck active health check of the route's service, or null for none
 * @param preserveHost whether the client's Host header is forwarded (default, null: the backend's address)
 * @param cors        browser cross-origin policy answered by the gateway, or null for none (no CORS headers added)
 * @param ipRules     client addresses the route takes or refuses, or null for all
 * @param trafficLimits rate limits and concurrency cap ({@code rateLimit}, {@code maxInFlight}), or null for none
 */
public record Route(
        String id,
        Match match,
        String service,
        boolean stripPrefix,
        LoadBalancing lb,
        Timeouts timeouts,
        Retries retries,
        String script,
        Limits limits,
        HealthCheck healthCheck,
        Boolean preserveHost,
        Cors cors,
        IpRules ipRules,
        TrafficLimits trafficLimits) {

    public Route {
        requireNonNull(id, "id");
        requireNonNull(match, "match");
        requireNonNull(service, "service");
    }

    /** A route without limits of its own. */
    public Route(String id, Match match, String service, boolean stripPrefix, LoadBalancing lb, Timeouts timeouts,
            Retries retries, String script) {
        this(id, match, service, stripPrefix, lb, timeouts, retries, script, null, null, null);
    }

    /** A route that leaves {@code preserveHost} out. */
    public Route(String id, Match match, String service, boolean stripPrefix, LoadBalancing lb, Timeouts timeouts,
            Retries retries, String script, Limits limits, HealthCheck healthCheck) {
        this(id, match, service, stripPrefix, lb, timeouts, retries, script, limits, healthCheck, null);
    }

    /** A route without the fields added after {@code preserveHost}. */
    public Route(String id, Match match, String service, boolean stripPrefix, LoadBalancing lb, Timeouts timeouts,
            Retries retries, String script, Limits limits, HealthCheck healthCheck, Boolean preserveHost) {
        this(id, match, service, stripPrefix, lb, timeouts, retries, script, limits, healthCheck, preserveHost, null,
                null, null);
    }

    /** A route without traffic limits. */
    public Route(String id, Match match, String service, boolean stripPrefix, LoadBalancing lb, Timeouts timeouts,
            Retries retries, String script, Limits limits, HealthCheck healthCheck, Boolean preserveHost, Cors cors,
            IpRules ipRules) {
        this(id, match, service, stripPrefix, lb, timeouts, retries, script, limits, healthCheck, preserveHost, cors,
                ipRules, null);
    }

    /** A route without CORS or IP rules. */
    public Route(String id, Match match, String service, boolean stripPrefix, LoadBalancing lb, Timeouts timeouts,
            Retries retries, String script, Limits limits, HealthCheck healthCheck, Boolean preserveHost,
            TrafficLimits trafficLimits) {
        this(id, match, service, stripPrefix, lb, timeouts, retries, script, limits, healthCheck, preserveHost, null,
                null, trafficLimits);
    }

    /** Whether the client's Host header goes to the backend (false: the backend's own address, the default). */
    public boolean preservesHost() {
        return Boolean.TRUE.equals(preserveHost);
    }

    public Policy policy() {
        return lb == null || lb.policy() == null ? Policy.ROUND_ROBIN : lb.policy();
    }

    /**
     * @param host       exact host (case-insensitive, without port), or null for any host
     * @param pathPrefix path prefix matched on segment boundaries; a trailing '/' is not significant
     * @param methods    upper-case methods, empty for all
     */
    public record Match(String host, String pathPrefix, Set<String> methods) {
        public Match {
            requireNonNull(pathPrefix, "pathPrefix");
            methods = methods == null ? Set.of() : Set.copyOf(methods);
        }

        /** The prefix without a trailing '/', except for the root prefix "/" itself. */
        public String normalizedPrefix() {
            return normalizePrefix(pathPrefix);
        }

        public static String normalizePrefix(String prefix) {
            int end = prefix.length();
            while (end > 1 && prefix.charAt(end - 1) == '/') {
                end--;
            }
            return prefix.substring(0, end);
        }
    }

    /**
     * @param policy      null for the default, round-robin
     * @param hashKey     consistent-hash key source, or null
     * @param boundedLoad consistent hashing with bounded loads factor (&gt; 1), or null
     */
    public record LoadBalancing(Policy policy, HashKey hashKey, Double boundedLoad) {}

    /** Milliseconds; null fields take the gateway's configured defaults. */
    public record Timeouts(Integer connectMs, Integer responseMs) {}

    /** @param attempts retries on another backend after the first try */
    public record Retries(Integer attempts) {}

    /** @param maxBodyBytes largest request body the route takes; larger requests get 413 */
    public record Limits(Long maxBodyBytes) {}

    /**
     * Active health check of the route's service: the gateway polls every instance, for instances that do not run
     * the registry agent's own check.
     *
     * @param path               path requested with GET; any 2xx is healthy
     * @param intervalMs         time between checks of one instance
     * @param timeoutMs          a check taking longer fails
     * @param unhealthyThreshold failed checks in a row that take an instance out of routing
     * @param healthyThreshold   passed checks in a row that bring it back
     */
    public record HealthCheck(String path, int intervalMs, int timeoutMs, int unhealthyThreshold,
            int healthyThreshold) {
        public static final int DEFAULT_INTERVAL_MS = 2000;
        public static final int DEFAULT_TIMEOUT_MS = 1000;
        public static final int DEFAULT_UNHEALTHY = 3;
        public static final int DEFAULT_HEALTHY = 2;
    }

    /**
     * Cross-origin resource sharing (the Fetch standard's CORS protocol), answered by the gateway: preflights never
     * reach the backend. Lists are as written; null or empty {@code allowMethods} and {@code allowHeaders} allow
     * what a preflight asks for among the route's methods, respectively no headers beyond the CORS-safelisted ones.
     *
     * @param allowOrigins     origins ({@code https://app.example.com}), {@code https://*.example.com} patterns
     *                         (any subdomain, at any depth, not the bare domain), or {@code *} for any origin
     * @param allowMethods     methods a cross-origin request may use, or null for the route's own
     * @param allowHeaders     request headers a cross-origin request may send, or null for none beyond the safelisted
     * @param exposeHeaders    response headers a page may read, or null
     * @param allowCredentials whether cookies and authorization may go along (never with {@code *} origins)
     * @param maxAgeSeconds    how long a browser may cache a preflight's answer, or null for the browser's default
     */
    public record Cors(List<String> allowOrigins, List<String> allowMethods, List<String> allowHeaders,
            List<String> exposeHeaders, Boolean allowCredentials, Integer maxAgeSeconds) {
        public Cors {
            requireNonNull(allowOrigins, "allowOrigins");
            allowOrigins = List.copyOf(allowOrigins);
            allowMethods = allowMethods == null ? null : List.copyOf(allowMethods);
            allowHeaders = allowHeaders == null ? null : List.copyOf(allowHeaders);
            exposeHeaders = exposeHeaders == null ? null : List.copyOf(exposeHeaders);
        }

        public boolean credentials() {
            return Boolean.TRUE.equals(allowCredentials);
        }
    }

    /**
     * Client addresses (as resolved through the gateway's trusted proxies) the route refuses with 403: one in a
     * {@code deny} range always, and, when {@code allow} is not empty, one in no {@code allow} range.
     *
     * @param allow CIDRs ({@link Cidr}) as written; empty for any address
     * @param deny  CIDRs as written; empty for none
     */
    public record IpRules(List<String> allow, List<String> deny) {
        public IpRules {
            allow = allow == null ? List.of() : List.copyOf(allow);
            deny = deny == null ? List.of() : List.copyOf(deny);
        }
    }
}
