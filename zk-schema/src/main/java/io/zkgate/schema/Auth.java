package io.zkgate.schema;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A route's {@code auth} block: authentication of its callers, checked by the gateway before its script and backend;
 * exactly one of the three is set. A group of its own beside {@link Route}, as {@link TrafficLimits} is, read and
 * written by {@link AuthCodec}. Immutable.
 */
public record Auth(Jwt jwt, ApiKey apiKey, Basic basic) {
    /** {@code jwt}, {@code apiKey} or {@code basic}: what {@code /admin/routes} shows. */
    public String kind() {
        return jwt != null ? "jwt" : apiKey != null ? "apiKey" : "basic";
    }

    /** The credential set an API key or basic-auth route checks against, or null for JWT. */
    public String credentials() {
        return apiKey != null ? apiKey.credentials() : basic != null ? basic.credentials() : null;
    }

    /**
     * A bearer JWT (RFC 7519) signed by one of the keys of a JWKS (RFC 7517) read from {@code jwksUri} or pinned in
     * the znode {@code jwksZnode} under the jwks root. Optional values are null when left out.
     *
     * @param issuer                the required {@code iss}
     * @param audiences             the token's {@code aud} must hold at least one of these
     * @param jwksUri               https URL of the key set (http only on a loopback host), or null
     * @param jwksZnode             name of the key-set znode, or null
     * @param algorithms            the JWS algorithms accepted (never {@code none})
     * @param claimsToHeaders       claim name to the request header that carries it to the backend
     * @param clockSkewSeconds      leeway for {@code exp} and {@code nbf}
     * @param stripAuthorization    whether the Authorization header is kept from the backend
     * @param hashKeyClaim          claim whose value is the consistent-hash key, or null
     * @param jwksRefreshSeconds    how old a fetched key set may grow before it is fetched again
     * @param jwksMinRefreshSeconds the least time between two fetches, however many unknown key ids arrive
     */
    public record Jwt(String issuer, List<String> audiences, String jwksUri, String jwksZnode, List<String> algorithms,
            Map<String, String> claimsToHeaders, Integer clockSkewSeconds, Boolean stripAuthorization,
            String hashKeyClaim, Integer jwksRefreshSeconds, Integer jwksMinRefreshSeconds) {
        public static final int DEFAULT_CLOCK_SKEW_SECONDS = 30;
        public static final int DEFAULT_REFRESH_SECONDS = 300;
        public static final int DEFAULT_MIN_REFRESH_SECONDS = 10;

        public Jwt {
            audiences = audiences == null ? List.of() : List.copyOf(audiences);
            algorithms = algorithms == null ? List.of() : List.copyOf(algorithms);
            claimsToHeaders = claimsToHeaders == null ? Map.of()
                    : Collections.unmodifiableMap(new LinkedHashMap<>(claimsToHeaders));
        }

        public int clockSkew() {
            return clockSkewSeconds == null ? DEFAULT_CLOCK_SKEW_SECONDS : clockSkewSeconds;
        }

        public boolean stripsAuthorization() {
            return Boolean.TRUE.equals(stripAuthorization);
        }

        public int refreshSeconds() {
            return jwksRefreshSeconds == null ? DEFAULT_REFRESH_SECONDS : jwksRefreshSeconds;
        }

        public int minRefreshSeconds() {
            return jwksMinRefreshSeconds == null ? DEFAULT_MIN_REFRESH_SECONDS : jwksMinRefreshSeconds;
        }
    }

    /**
     * An API key sent in a request header, checked against the SHA-256 hashes of a credential set.
     *
     * @param credentials  the credential set (a znode under the credentials root)
     * @param header       the request header carrying the key, null for {@link #DEFAULT_HEADER}
     * @param clientHeader the header that tells the backend the key's name, null for {@link #DEFAULT_CLIENT_HEADER}
     */
    public record ApiKey(String credentials, String header, String clientHeader) {
        public static final String DEFAULT_HEADER = "X-Api-Key";
        public static final String DEFAULT_CLIENT_HEADER = "X-Client-Name";

        public String keyHeader() {
            return header == null ? DEFAULT_HEADER : header;
        }

        public String nameHeader() {
            return clientHeader == null ? DEFAULT_CLIENT_HEADER : clientHeader;
        }
    }

    /**
     * HTTP basic authentication (RFC 7617) against the bcrypt hashes of a credential set.
     *
     * @param credentials  the credential set (a znode under the credentials root)
     * @param realm        the realm the challenge names, null for {@link #DEFAULT_REALM}
     * @param clientHeader the header that tells the backend the user name, null for
     *                     {@link ApiKey#DEFAULT_CLIENT_HEADER}
     */
    public record Basic(String credentials, String realm, String clientHeader) {
        public static final String DEFAULT_REALM = "zkgate";

        public String realmName() {
            return realm == null ? DEFAULT_REALM : realm;
        }

        public String nameHeader() {
            return clientHeader == null ? ApiKey.DEFAULT_CLIENT_HEADER : clientHeader;
        }
    }
}
