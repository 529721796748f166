package io.zkgate.schema;

import static java.util.Objects.requireNonNull;

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
 * @param httpsRedirect whether plain-HTTP requests are redirected to the gateway's TLS port (default, null: no)
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
        Boolean httpsRedirect) {

    public Route {
        requireNonNull(id, "id");
        requireNonNull(match, "match");
        requireNonNull(service, "service");
    }

    /** A route without limits of its own. */
    public Route(String id, Match match, String service, boolean stripPrefix, LoadBalancing lb, Timeouts timeouts,
            Retries retries, String script) {
        this(id, match, service, stripPrefix, lb, timeouts, retries, script, null, null, null, null);
    }

    /** A route that leaves {@code preserveHost} out. */
    public Route(String id, Match match, String service, boolean stripPrefix, LoadBalancing lb, Timeouts timeouts,
            Retries retries, String script, Limits limits, HealthCheck healthCheck) {
        this(id, match, service, stripPrefix, lb, timeouts, retries, script, limits, healthCheck, null, null);
    }

    /** A route that leaves {@code httpsRedirect} out. */
    public Route(String id, Match match, String service, boolean stripPrefix, LoadBalancing lb, Timeouts timeouts,
            Retries retries, String script, Limits limits, HealthCheck healthCheck, Boolean preserveHost) {
        this(id, match, service, stripPrefix, lb, timeouts, retries, script, limits, healthCheck, preserveHost, null);
    }

    /** Whether plain-HTTP requests for this route are redirected to HTTPS. */
    public boolean redirectsToHttps() {
        return Boolean.TRUE.equals(httpsRedirect);
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
}
