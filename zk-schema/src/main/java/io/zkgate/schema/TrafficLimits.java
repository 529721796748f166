package io.zkgate.schema;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * A route's traffic limits: the {@code rateLimit} field (one limit or several, all of which must allow a request)
 * and the {@code maxInFlight} concurrency cap. Immutable.
 *
 * @param rateLimits  the route's rate limits in the order written; empty for none
 * @param maxInFlight concurrent requests the route takes before answering 503 {@code overloaded}, or null for no cap
 */
public record TrafficLimits(List<RateLimit> rateLimits, Integer maxInFlight) {
    public TrafficLimits {
        rateLimits = rateLimits == null ? List.of() : List.copyOf(rateLimits);
    }

    /** Whether the route limits anything. */
    public boolean any() {
        return !rateLimits.isEmpty() || maxInFlight != null;
    }

    /** Where requests are grouped into buckets. */
    public enum Scope {
        /** Each gateway enforces the whole limit. */
        GATEWAY("gateway"),
        /** The limit is for the fleet: each gateway enforces its share, divided by the gateways alive. */
        FLEET("fleet");

        private final String wireName;

        Scope(String wireName) {
            this.wireName = wireName;
        }

        public String wireName() {
            return wireName;
        }

        static Scope fromWireName(String name) {
            for (Scope s : values()) {
                if (s.wireName.equals(name)) {
                    return s;
                }
            }
            return null;
        }
    }

    /**
     * Whose requests share a bucket: {@code client_ip}, {@code header:NAME} or {@code route} (one bucket).
     *
     * @param header the header name for {@code header:NAME}, else null
     */
    public record Key(Kind kind, String header) {
        public static final String FORMS = "client_ip, header:NAME or route";

        public enum Kind { CLIENT_IP, HEADER, ROUTE }

        public Key {
            requireNonNull(kind, "kind");
            if ((kind == Kind.HEADER) != (header != null && !header.isEmpty())) {
                throw new IllegalArgumentException("key: " + kind + " (expected: " + FORMS + ")");
            }
        }

        /** Parses the wire form; null when it is not one of {@link #FORMS}. */
        public static Key parse(String text) {
            if (text == null) {
                return null;
            }
            if (text.equals("client_ip")) {
                return new Key(Kind.CLIENT_IP, null);
            }
            if (text.equals("route")) {
                return new Key(Kind.ROUTE, null);
            }
            if (text.startsWith("header:") && text.substring(7).trim().matches("[A-Za-z0-9!#$%&'*+.^_`|~-]+")) {
                return new Key(Kind.HEADER, text.substring(7).trim());
            }
            return null;
        }

        @Override
        public String toString() {
            return switch (kind) {
                case CLIENT_IP -> "client_ip";
                case ROUTE -> "route";
                case HEADER -> "header:" + header;
            };
        }
    }

    /**
     * One token-bucket limit.
     *
     * @param requestsPerSecond the sustained rate, &gt; 0 (fractions allowed: 0.5 is one request every two seconds)
     * @param burst             requests a full bucket lets through at once, &gt;= 1
     * @param key               whose requests share a bucket
     * @param scope             whether the limit is this gateway's or the fleet's
     */
    public record RateLimit(double requestsPerSecond, int burst, Key key, Scope scope) {
        public RateLimit {
            requireNonNull(key, "key");
            requireNonNull(scope, "scope");
            if (!(requestsPerSecond > 0) || burst < 1) {
                throw new IllegalArgumentException("rateLimit: requestsPerSecond " + requestsPerSecond + ", burst "
                        + burst + " (expected: requestsPerSecond > 0, burst >= 1)");
            }
        }
    }
}
