package io.zkgate.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The route's {@code auth} block, read and written for {@link RouteCodec}: one of {@code jwt}, {@code apiKey},
 * {@code basic}, each field checked with the source, field and reason. Stateless.
 */
final class AuthCodec {
    private static final Set<String> AUTH_FIELDS = Set.of("jwt", "apiKey", "basic");
    private static final Set<String> JWT_FIELDS = Set.of("issuer", "audiences", "jwksUri", "jwksZnode", "algorithms",
            "claimsToHeaders", "clockSkewSeconds", "stripAuthorization", "hashKeyClaim", "jwksRefreshSeconds",
            "jwksMinRefreshSeconds");
    private static final Set<String> API_KEY_FIELDS = Set.of("credentials", "header", "clientHeader");
    private static final Set<String> BASIC_FIELDS = Set.of("credentials", "realm", "clientHeader");
    /** Asymmetric algorithms, whose keys may come from a URL; HS* keys are secrets and only come from a znode. */
    static final Set<String> PUBLIC_KEY_ALGORITHMS = Set.of("RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
            "ES256", "ES384", "ES512");
    static final Set<String> HMAC_ALGORITHMS = Set.of("HS256", "HS384", "HS512");
    /** RFC 9110 token, the form of a header name. */
    private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}");
    /** Headers the gateway frames or routes on itself: a claim or a name may never replace them. */
    private static final Set<String> RESERVED_HEADERS = Set.of("host", "content-length", "transfer-encoding",
            "connection", "upgrade", "te", "trailer", "keep-alive", "expect", "authorization", "cookie");
    private static final Pattern REALM = Pattern.compile("[\\x20-\\x7e&&[^\"\\\\]]{1,64}");

    private AuthCodec() {}

    /** The auth block of {@code tree}, or null when absent or wrong (the problems are in {@code r}). */
    static Auth read(FieldReader r, JsonNode tree) {
        JsonNode node = r.block(tree, "auth", AUTH_FIELDS);
        if (node == null) {
            return null;
        }
        int kinds = 0;
        for (String k : AUTH_FIELDS) {
            kinds += node.hasNonNull(k) ? 1 : 0;
        }
        if (kinds != 1) {
            r.problem("auth", kinds + " kinds set (expected: exactly one of jwt, apiKey, basic)");
            return null;
        }
        int before = r.problems.size();
        JsonNode jwt = r.block(node, "auth.jwt", "jwt", JWT_FIELDS);
        JsonNode apiKey = r.block(node, "auth.apiKey", "apiKey", API_KEY_FIELDS);
        JsonNode basic = r.block(node, "auth.basic", "basic", BASIC_FIELDS);
        Auth auth = jwt != null ? new Auth(jwt(r, jwt), null, null)
                : apiKey != null ? new Auth(null, apiKey(r, apiKey), null)
                : basic != null ? new Auth(null, null, basic(r, basic)) : null;
        return r.problems.size() > before ? null : auth;
    }

    private static Auth.Jwt jwt(FieldReader r, JsonNode n) {
        String issuer = r.string(n, "auth.jwt.issuer", "issuer", true);
        List<String> audiences = r.strings(n, "auth.jwt.audiences", "audiences", true);
        if (audiences != null && audiences.isEmpty()) {
            r.problem("auth.jwt.audiences", "empty (expected: at least one audience the token's aud must hold)");
        }
        String uri = r.string(n, "auth.jwt.jwksUri", "jwksUri", false);
        String znode = r.string(n, "auth.jwt.jwksZnode", "jwksZnode", false);
        if (!n.hasNonNull("jwksUri") && !n.hasNonNull("jwksZnode")) {
            r.problem("auth.jwt.jwksUri", "missing (expected: jwksUri or jwksZnode, the keys tokens are signed with)");
        } else if (n.hasNonNull("jwksUri") && n.hasNonNull("jwksZnode")) {
            r.problem("auth.jwt.jwksZnode", "set beside jwksUri (expected: one source of keys)");
        }
        if (uri != null) {
            String problem = jwksUriProblem(uri);
            if (problem != null) {
                r.problem("auth.jwt.jwksUri", "'" + uri + "' " + problem);
            }
        }
        if (znode != null && !ZnodeLayout.isValidName(znode)) {
            r.problem("auth.jwt.jwksZnode", "'" + znode + "' (" + ZnodeLayout.nameRule() + ")");
        }
        List<String> algorithms = r.strings(n, "auth.jwt.algorithms", "algorithms", true);
        if (algorithms != null) {
            if (algorithms.isEmpty()) {
                r.problem("auth.jwt.algorithms", "empty (expected: the JWS algorithms accepted, such as [\"RS256\"])");
            }
            for (int i = 0; i < algorithms.size(); i++) {
                String a = algorithms.get(i);
                String field = "auth.jwt.algorithms[" + i + "]";
                if (a.equalsIgnoreCase("none")) {
                    r.problem(field, "'none' is never accepted: an unsigned token proves nothing");
                } else if (HMAC_ALGORITHMS.contains(a) && uri != null) {
                    r.problem(field, "'" + a + "' with jwksUri (expected: HMAC keys are secrets, pinned with "
                            + "jwksZnode, never fetched from a URL)");
                } else if (!PUBLIC_KEY_ALGORITHMS.contains(a) && !HMAC_ALGORITHMS.contains(a)) {
                    r.problem(field, "'" + a + "' (expected one of: " + new TreeSet<>(PUBLIC_KEY_ALGORITHMS)
                            + " or, with jwksZnode, " + new TreeSet<>(HMAC_ALGORITHMS) + ")");
                }
            }
        }
        Map<String, String> claims = new LinkedHashMap<>();
        JsonNode c = r.object(n, "auth.jwt.claimsToHeaders", "claimsToHeaders");
        if (c != null) {
            for (Iterator<Map.Entry<String, JsonNode>> it = c.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String field = "auth.jwt.claimsToHeaders." + e.getKey();
                if (e.getKey().isBlank()) {
                    r.problem("auth.jwt.claimsToHeaders", "an empty claim name (expected: a claim such as sub)");
                } else if (!e.getValue().isTextual()) {
                    r.problem(field, FieldReader.aKind(e.getValue()) + " (expected: a header name)");
                } else if (headerProblem(e.getValue().asText()) != null) {
                    r.problem(field, "'" + e.getValue().asText() + "' " + headerProblem(e.getValue().asText()));
                } else {
                    claims.put(e.getKey(), e.getValue().asText());
                }
            }
        }
        Integer skew = r.integer(n, "auth.jwt.clockSkewSeconds", "clockSkewSeconds", 0, 600);
        Boolean strip = r.bool(n, "auth.jwt.stripAuthorization", "stripAuthorization");
        String hashKeyClaim = r.string(n, "auth.jwt.hashKeyClaim", "hashKeyClaim", false);
        Integer refresh = r.integer(n, "auth.jwt.jwksRefreshSeconds", "jwksRefreshSeconds", 1, 86_400);
        Integer minRefresh = r.integer(n, "auth.jwt.jwksMinRefreshSeconds", "jwksMinRefreshSeconds", 1, 3_600);
        if (znode != null && (refresh != null || minRefresh != null)) {
            r.problem("auth.jwt.jwksRefreshSeconds", "set with jwksZnode (expected: only with jwksUri; a znode is "
                    + "watched)");
        }
        return new Auth.Jwt(issuer, audiences, uri, znode, algorithms, claims, skew, strip, hashKeyClaim, refresh,
                minRefresh);
    }

    private static Auth.ApiKey apiKey(FieldReader r, JsonNode n) {
        String set = credentials(r, n, "auth.apiKey.credentials");
        String header = header(r, n, "auth.apiKey.header", "header");
        String client = header(r, n, "auth.apiKey.clientHeader", "clientHeader");
        if (header != null && client != null && header.equalsIgnoreCase(client)) {
            r.problem("auth.apiKey.clientHeader", "'" + client + "' is the key's own header (expected: another "
                    + "header; the key is never forwarded)");
        }
        return new Auth.ApiKey(set, header, client);
    }

    private static Auth.Basic basic(FieldReader r, JsonNode n) {
        String set = credentials(r, n, "auth.basic.credentials");
        String realm = r.string(n, "auth.basic.realm", "realm", false);
        if (realm != null && !REALM.matcher(realm).matches()) {
            r.problem("auth.basic.realm", "'" + realm
                    + "' (expected: 1-64 printable ASCII characters, no '\"' or '\\')");
        }
        String client = header(r, n, "auth.basic.clientHeader", "clientHeader");
        return new Auth.Basic(set, realm, client);
    }

    private static String credentials(FieldReader r, JsonNode n, String field) {
        String set = r.string(n, field, "credentials", true);
        if (set != null && !ZnodeLayout.isValidName(set)) {
            r.problem(field, "'" + set + "' (" + ZnodeLayout.nameRule() + ")");
            return null;
        }
        return set;
    }

    private static String header(FieldReader r, JsonNode n, String field, String name) {
        String h = r.string(n, field, name, false);
        String problem = h == null ? null : headerProblem(h);
        if (problem != null) {
            r.problem(field, "'" + h + "' " + problem);
            return null;
        }
        return h;
    }

    private static String headerProblem(String name) {
        if (!HEADER_NAME.matcher(name).matches()) {
            return "(expected: a header name, 1-64 letters, digits and !#$%&'*+.^_`|~-)";
        }
        if (RESERVED_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
            return "is a header the gateway keeps for itself (expected: another name, such as X-User-Id)";
        }
        return null;
    }

    /** Why a JWKS URL is refused, or null: https, or http to a loopback host (a test or a sidecar). */
    private static String jwksUriProblem(String text) {
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            return "(expected: an https URL: " + e.getReason() + ")";
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (uri.getHost() == null || !(scheme.equals("https") || scheme.equals("http"))) {
            return "(expected: an https URL such as https://issuer.example.com/.well-known/jwks.json)";
        }
        if (scheme.equals("http") && !isLoopback(uri.getHost())) {
            return "(expected: https; plain http only to a loopback host, since keys fetched in clear can be forged)";
        }
        return null;
    }

    private static boolean isLoopback(String host) {
        return host.equals("localhost") || host.startsWith("127.") || host.equals("[::1]");
    }

    /** Writes {@code auth} into the route tree, absent optional fields left out. */
    static void write(ObjectNode root, Auth auth) {
        if (auth == null) {
            return;
        }
        ObjectNode a = root.putObject("auth");
        if (auth.jwt() != null) {
            Auth.Jwt j = auth.jwt();
            ObjectNode n = a.putObject("jwt");
            n.put("issuer", j.issuer());
            FieldWriter.putStrings(n, "audiences", j.audiences());
            FieldWriter.putIfSet(n, "jwksUri", j.jwksUri());
            FieldWriter.putIfSet(n, "jwksZnode", j.jwksZnode());
            FieldWriter.putStrings(n, "algorithms", j.algorithms());
            if (!j.claimsToHeaders().isEmpty()) {
                ObjectNode c = n.putObject("claimsToHeaders");
                j.claimsToHeaders().forEach(c::put);
            }
            FieldWriter.putIfSet(n, "clockSkewSeconds", j.clockSkewSeconds());
            FieldWriter.putIfSet(n, "stripAuthorization", j.stripAuthorization());
            FieldWriter.putIfSet(n, "hashKeyClaim", j.hashKeyClaim());
            FieldWriter.putIfSet(n, "jwksRefreshSeconds", j.jwksRefreshSeconds());
            FieldWriter.putIfSet(n, "jwksMinRefreshSeconds", j.jwksMinRefreshSeconds());
        } else if (auth.apiKey() != null) {
            ObjectNode n = a.putObject("apiKey");
            n.put("credentials", auth.apiKey().credentials());
            FieldWriter.putIfSet(n, "header", auth.apiKey().header());
            FieldWriter.putIfSet(n, "clientHeader", auth.apiKey().clientHeader());
        } else {
            ObjectNode n = a.putObject("basic");
            n.put("credentials", auth.basic().credentials());
            FieldWriter.putIfSet(n, "realm", auth.basic().realm());
            FieldWriter.putIfSet(n, "clientHeader", auth.basic().clientHeader());
        }
    }
}
