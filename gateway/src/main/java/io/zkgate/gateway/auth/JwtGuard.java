package io.zkgate.gateway.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.BadJWSException;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.BadJWTException;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import com.nimbusds.jwt.proc.ExpiredJWTException;
import io.zkgate.gateway.routing.Decision;
import io.zkgate.gateway.routing.HeaderEdits;
import io.zkgate.gateway.routing.RequestView;
import io.zkgate.gateway.routing.RouteEntry;
import io.zkgate.gateway.routing.RouteGuard;
import io.zkgate.schema.Auth;
import io.zkgate.schema.Credential;
import java.nio.ByteBuffer;
import java.text.ParseException;
import java.util.Collection;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A route's {@code auth.jwt}: the request's bearer token must be a JWS signed with one of the key source's keys by
 * an allowed algorithm (nimbus-jose-jwt matches a key to the token's algorithm family, so an HMAC key never checks
 * an RS/ES signature or the reverse, and {@code none} and encrypted tokens are refused), issued by the route's
 * issuer for one of its audiences, with {@code exp} (and any {@code nbf}) within the clock skew. A passing request
 * goes on with the chosen claims as upstream headers (client-sent copies of those headers are always removed, so they
 * cannot be forged), optionally without its Authorization header, and optionally with a claim as hash key. A
 * failing one gets 401 with {@code WWW-Authenticate: Bearer} and, for a token that was sent, {@code
 * error="invalid_token"} (RFC 6750); which check failed is only counted in the metrics.
 * Thread-safe: the processor is configured once and shared; the key source and the verified-token cache are
 * thread-safe.
 */
final class JwtGuard implements RouteGuard {
    private static final String CHALLENGE_MISSING = "Bearer realm=\"zkgate\"";
    private static final String CHALLENGE_INVALID = "Bearer realm=\"zkgate\", error=\"invalid_token\"";

    private final Auth.Jwt config;
    private final KeySource keys;
    private final AuthRejections rejections;
    private final Set<JWSAlgorithm> algorithms;
    private final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
    private final String[] claimHeaders;
    /**
     * Tokens that passed, by their SHA-256: a client sends the same token many times, and checking its signature
     * (RS256: tens of microseconds) each time would cost more than the rest of the request. A hit counts while the
     * token has not expired and the key set is the very one it was checked with (a rotation or revocation re-checks).
     */
    private final BoundedCache<Verified> verified = new BoundedCache<>(10_000);

    /** A token that passed, against which key set, and until when it may pass without a new check. */
    private record Verified(JWTClaimsSet claims, JWKSet keys, long untilMillis) {}

    JwtGuard(Auth.Jwt config, KeySource keys, AuthRejections rejections) {
        this.config = config;
        this.keys = keys;
        this.rejections = rejections;
        this.algorithms = config.algorithms().stream().map(JWSAlgorithm::parse).collect(Collectors.toUnmodifiableSet());
        this.claimHeaders = config.claimsToHeaders().values().toArray(new String[0]);
        JWKSource<SecurityContext> source = this::select;
        processor.setJWSKeySelector(new JWSVerificationKeySelector<>(algorithms, source));
        processor.setJWSTypeVerifier(new DefaultJOSEObjectTypeVerifier<>(JOSEObjectType.JWT,
                new JOSEObjectType("at+jwt"), new JOSEObjectType("application/at+jwt"), null));
        DefaultJWTClaimsVerifier<SecurityContext> claims = new DefaultJWTClaimsVerifier<>(
                new HashSet<>(config.audiences()),
                new JWTClaimsSet.Builder().issuer(config.issuer()).build(),
                Set.of("iss", "aud", "exp"), null);
        claims.setMaxClockSkew(config.clockSkew());
        processor.setJWTClaimsSetVerifier(claims);
    }

    /** The keys matching the token's header; asks for a fetch when the token names a key id the set lacks. */
    private List<JWK> select(JWKSelector selector, SecurityContext context) {
        List<JWK> found = selector.select(keys.keys());
        if (found.isEmpty()) {
            keys.unknownKey();
        }
        return found;
    }

    @Override
    public Decision check(RequestView request, RouteEntry route, HeaderEdits headers) {
        for (String h : claimHeaders) {
            headers.removeUpstream(h);
        }
        String authorization = request.header("Authorization");
        if (authorization == null || authorization.length() < 8
                || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return rejections.unauthorized(route, headers, "missing", CHALLENGE_MISSING,
                    "a bearer token is required");
        }
        String token = authorization.substring(7).trim();
        ByteBuffer digest = ByteBuffer.wrap(Credential.sha256(token));
        JWKSet current = keys.keys();
        Verified hit = verified.get(digest);
        JWTClaimsSet claims;
        if (hit != null && hit.keys() == current && System.currentTimeMillis() < hit.untilMillis()) {
            claims = hit.claims();
        } else {
            try {
                JWT jwt = JWTParser.parse(token);
                if (!(jwt instanceof SignedJWT signed) || !algorithms.contains(signed.getHeader().getAlgorithm())) {
                    return invalid(route, headers, "algorithm");
                }
                claims = processor.process(signed, null);
            } catch (ParseException e) {
                return invalid(route, headers, "malformed");
            } catch (BadJOSEException e) {
                return invalid(route, headers, reason(e));
            } catch (JOSEException | RuntimeException e) {
                return invalid(route, headers, "invalid");
            }
            verified.put(digest, new Verified(claims, current,
                    claims.getExpirationTime().getTime() + config.clockSkew() * 1000L));
        }
        for (Map.Entry<String, String> e : config.claimsToHeaders().entrySet()) {
            String value = headerValue(claims.getClaim(e.getKey()));
            if (value != null) {
                headers.setUpstream(e.getValue(), value);
            }
        }
        if (config.stripsAuthorization()) {
            headers.removeUpstream("Authorization");
        }
        if (config.hashKeyClaim() != null) {
            String key = headerValue(claims.getClaim(config.hashKeyClaim()));
            if (key != null) {
                headers.hashKey(key);
            }
        }
        return null;
    }

    private Decision invalid(RouteEntry route, HeaderEdits headers, String reason) {
        return rejections.unauthorized(route, headers, reason, CHALLENGE_INVALID, "the bearer token is not valid");
    }

    /** The check that failed, for the metrics; nimbus tells them apart by type and message. */
    private static String reason(BadJOSEException e) {
        if (e instanceof ExpiredJWTException) {
            return "expired";
        }
        if (e instanceof BadJWSException) {
            return "bad_signature";
        }
        String m = String.valueOf(e.getMessage());
        if (e instanceof BadJWTException) {
            if (m.contains("before use time")) {
                return "not_yet_valid";
            }
            if (m.contains("missing required")) {
                return "claims";
            }
            if (m.contains(" aud ")) {
                return "audience";
            }
            if (m.contains(" iss ")) {
                return "issuer";
            }
            return "claims";
        }
        if (m.contains("no matching key")) {
            return "unknown_key";
        }
        return "invalid";
    }

    /** A claim as one header value: text as is, lists comma-separated, objects as JSON; null when absent or unsafe. */
    static String headerValue(Object claim) {
        String value;
        if (claim == null) {
            return null;
        } else if (claim instanceof Date d) {
            value = Long.toString(d.getTime() / 1000);
        } else if (claim instanceof Collection<?> c) {
            value = c.stream().map(String::valueOf).collect(Collectors.joining(","));
        } else if (claim instanceof Map<?, ?> m) {
            @SuppressWarnings("unchecked")
            Map<String, Object> json = (Map<String, Object>) m;
            value = JSONObjectUtils.toJSONString(json);
        } else {
            value = claim.toString();
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x20 && c != '\t' || c == 0x7f) {
                return null; // a CR or LF would split the header
            }
        }
        return value;
    }
}
