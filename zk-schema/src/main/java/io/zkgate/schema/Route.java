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
 * @param upstream    how backends are spoken to (protocol, TLS), or null for plain HTTP/1.1
 * @param compression response compression, or null for none
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
        Upstream upstream,
        Compression compression) {

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

    /** A route that leaves {@code upstream} and {@code compression} out. */
    public Route(String id, Match match, String service, boolean stripPrefix, LoadBalancing lb, Timeouts timeouts,
            Retries retries, String script, Limits limits, HealthCheck healthCheck, Boolean preserveHost) {
        this(id, match, service, stripPrefix, lb, timeouts, retries, script, limits, healthCheck, preserveHost, null,
                null);
    }

    /** The protocol spoken to the route's backends (HTTP/1.1 unless {@code upstream.protocol} says otherwise). */
    public Upstream.Protocol upstreamProtocol() {
        return upstream == null || upstream.protocol() == null ? Upstream.Protocol.HTTP_1_1 : upstream.protocol();
    }

    /** The TLS setting for the route's backends, or null when they are reached in plain text. */
    public Tls upstreamTls() {
        return upstream == null ? null : upstream.effectiveTls();
    }

    /** Whether responses of this route may be compressed for clients that accept it. */
    public boolean compresses() {
        return compression != null && compression.on();
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
     * How the gateway speaks to the route's backends.
     *
     * @param protocol null for HTTP/1.1
     * @param tls      TLS to the backends, or null; {@code h2} implies TLS with the defaults when left out
     */
    public record Upstream(Protocol protocol, Tls tls) {
        /** The TLS the route uses: its own block, the defaults for {@code h2}, else null (plain text). */
        public Tls effectiveTls() {
            return tls != null ? tls : protocol == Protocol.H2 ? Tls.DEFAULTS : null;
        }

        /** The protocol to backends; wire names as in the route JSON. */
        public enum Protocol {
            HTTP_1_1("http/1.1"),
            /** HTTP/2 in plain text with prior knowledge (RFC 9113, 3.3). */
            H2C("h2c"),
            /** HTTP/2 over TLS, negotiated by ALPN. */
            H2("h2");

            private final String wireName;

            Protocol(String wireName) {
                this.wireName = wireName;
            }

            public String wireName() {
                return wireName;
            }

            /** The protocol of that wire name, or null. */
            public static Protocol fromWireName(String name) {
                for (Protocol p : values()) {
                    if (p.wireName.equals(name)) {
                        return p;
                    }
                }
                return null;
            }
        }
    }

    /**
     * TLS to a route's backends. Files are PEM, read by the gateway (not by {@code zkgate-ctl}, which may run
     * elsewhere). Verification is on unless {@code verify} is explicitly false.
     *
     * @param verify            null or true: the backend's certificate chain and host name are checked
     * @param ca                PEM file of the CA certificates to trust, or null for the JVM's trusted CAs
     * @param serverName        the name sent by SNI and checked against the certificate, or null for the backend's
     *                          registered address
     * @param clientCertificate PEM certificate chain presented to backends that ask for one (mutual TLS), or null
     * @param clientKey         PEM PKCS#8 private key of {@code clientCertificate}
     */
    public record Tls(Boolean verify, String ca, String serverName, String clientCertificate, String clientKey) {
        /** TLS with verification against the JVM's trusted CAs and nothing else set. */
        public static final Tls DEFAULTS = new Tls(null, null, null, null, null);

        public boolean verifies() {
            return !Boolean.FALSE.equals(verify);
        }
    }

    /**
     * Response compression by the client's {@code Accept-Encoding}.
     *
     * @param enabled      null or true: on; false keeps the block but turns compression off
     * @param minBytes     smallest response compressed, null for {@link #DEFAULT_MIN_BYTES}
     * @param contentTypes the media types compressed; empty for every type but the already-compressed ones
     */
    public record Compression(Boolean enabled, Integer minBytes, List<String> contentTypes) {
        public static final int DEFAULT_MIN_BYTES = 256;

        public Compression {
            contentTypes = contentTypes == null ? List.of() : List.copyOf(contentTypes);
        }

        public boolean on() {
            return !Boolean.FALSE.equals(enabled);
        }

        public int effectiveMinBytes() {
            return minBytes == null ? DEFAULT_MIN_BYTES : minBytes;
        }
    }
}
