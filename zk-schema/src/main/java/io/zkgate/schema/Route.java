package io.zkgate.schema;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
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
 * @param auth        who may call the route (a JWT, an API key or a basic-auth password), or null for anyone
 * @param backends    a weighted split over several services, instead of {@code service} (exactly one of the two
 *                    is set), or null
 * @param mirror      where copies of the route's requests go, fire-and-forget, or null
 * @param upstream    how backends are spoken to (protocol, TLS), or null for plain HTTP/1.1
 * @param compression response compression, or null for none
 * @param httpsRedirect whether plain-HTTP requests are redirected to the gateway's TLS port (default, null: no)
 * @param requestIds  whether the route's requests get an X-Request-Id and a trace context hop (default, null: the
 *                    gateway's {@code --request-ids})
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
        TrafficLimits trafficLimits,
        Auth auth,
        List<Backend> backends,
        Mirror mirror,
        Upstream upstream,
        Compression compression,
        Boolean httpsRedirect,
        Boolean requestIds) {

    public Route {
        requireNonNull(id, "id");
        requireNonNull(match, "match");
        backends = backends == null || backends.isEmpty() ? null : List.copyOf(backends);
        if ((service == null) == (backends == null)) {
            throw new IllegalArgumentException("service: " + service + ", backends: " + backends
                    + " (expected: exactly one of the two)");
        }
    }

    /** A route to one service with the fields up to {@code script} and none of the later ones. */
    public Route(String id, Match match, String service, boolean stripPrefix, LoadBalancing lb, Timeouts timeouts,
            Retries retries, String script) {
        this(id, match, service, stripPrefix, lb, timeouts, retries, script, null, null, null, null, null, null, null,
                null, null, null, null, null, null);
    }

    /** The protocol spoken to the route's backends (HTTP/1.1 unless {@code upstream.protocol} says otherwise). */
    public Upstream.Protocol upstreamProtocol() {
        return upstream == null || upstream.protocol() == null ? Upstream.Protocol.HTTP_1_1 : upstream.protocol();
    }

    /** The TLS setting for the route's backends, or null when they are reached in plain text. */
    public Tls upstreamTls() {
        return upstream == null ? null : upstream.effectiveTls();
    }

    /** Whether plain-HTTP requests for this route are redirected to HTTPS. */
    public boolean redirectsToHttps() {
        return Boolean.TRUE.equals(httpsRedirect);
    }

    /** Whether the route's requests get request ids: its own {@code requestIds}, else the gateway's setting. */
    public boolean requestIds(boolean gatewayDefault) {
        return requestIds == null ? gatewayDefault : requestIds;
    }

    /** Whether responses of this route may be compressed for clients that accept it. */
    public boolean compresses() {
        return compression != null && compression.on();
    }

    /** Whether the client's Host header goes to the backend (false: the backend's own address, the default). */
    public boolean preservesHost() {
        return Boolean.TRUE.equals(preserveHost);
    }

    /** The services that serve the route's requests: {@code service}, or each side of {@code backends} in order. */
    public List<String> services() {
        if (backends == null) {
            return List.of(service);
        }
        List<String> out = new ArrayList<>(backends.size());
        backends.forEach(b -> out.add(b.service()));
        return out;
    }

    /** {@code service}, or the sides of the split as {@code orders-v2:5,orders:95}; for messages and listings. */
    public String describeServices() {
        if (backends == null) {
            return service;
        }
        StringBuilder sb = new StringBuilder();
        for (Backend b : backends) {
            sb.append(sb.length() == 0 ? "" : ",").append(b.service()).append(':').append(b.weight());
        }
        return sb.toString();
    }

    public Policy policy() {
        return lb == null || lb.policy() == null ? Policy.ROUND_ROBIN : lb.policy();
    }

    /**
     * @param host       exact host (case-insensitive, without port), or null for any host
     * @param pathPrefix path prefix matched on segment boundaries; a trailing '/' is not significant
     * @param methods    upper-case methods, empty for all
     * @param headers    conditions on request headers, all of which must hold; empty for none
     * @param query      conditions on query parameters, all of which must hold; empty for none
     * @param cookies    conditions on cookies ({@code exact} only), all of which must hold; empty for none
     */
    public record Match(String host, String pathPrefix, Set<String> methods, List<Condition> headers,
            List<Condition> query, List<Condition> cookies) {
        public Match {
            requireNonNull(pathPrefix, "pathPrefix");
            methods = methods == null ? Set.of() : Set.copyOf(methods);
            headers = headers == null ? List.of() : List.copyOf(headers);
            query = query == null ? List.of() : List.copyOf(query);
            cookies = cookies == null ? List.of() : List.copyOf(cookies);
        }

        /** A match on host, prefix and methods only. */
        public Match(String host, String pathPrefix, Set<String> methods) {
            this(host, pathPrefix, methods, null, null, null);
        }

        /** How many header, query and cookie conditions the match holds. */
        public int conditionCount() {
            return headers.size() + query.size() + cookies.size();
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
     * One match condition on a header, query parameter or cookie: exactly one of {@code exact}, {@code regex} and
     * {@code present} is set.
     *
     * @param name    header (any case), query parameter or cookie name
     * @param exact   the value, compared case-sensitively, or null
     * @param regex   an RE2 regular expression found in the value (anchor it with ^ and $ to match all of it), or null
     * @param present true: the name must be there (any value); false: it must be absent; null when not this kind
     */
    public record Condition(String name, String exact, String regex, Boolean present) {
        public Condition {
            requireNonNull(name, "name");
            int kinds = (exact == null ? 0 : 1) + (regex == null ? 0 : 1) + (present == null ? 0 : 1);
            if (kinds != 1) {
                throw new IllegalArgumentException("condition on " + name + ": expected exactly one of exact, regex, present");
            }
        }
    }

    /**
     * One side of a weighted split.
     *
     * @param service the service
     * @param weight  its share relative to the other sides' weights (0 keeps the side with no traffic)
     */
    public record Backend(String service, int weight) {
        public Backend {
            requireNonNull(service, "service");
        }
    }

    /**
     * Request mirroring.
     *
     * @param service the service that gets the copies
     * @param percent the share of the route's requests copied, above 0 and at most 100
     */
    public record Mirror(String service, double percent) {
        public Mirror {
            requireNonNull(service, "service");
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
     * @param clientKey         PEM private key of {@code clientCertificate} (PKCS#8, PKCS#1 or SEC1)
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
