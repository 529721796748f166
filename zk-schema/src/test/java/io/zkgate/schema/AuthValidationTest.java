package io.zkgate.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AuthValidationTest {
    private static final String SRC = "/zkgate/routes/orders";

    private static Route parse(String auth) throws ValidationException {
        return parse(auth, "");
    }

    private static Route parse(String auth, String more) throws ValidationException {
        String json = "{\"id\":\"orders\",\"match\":{\"pathPrefix\":\"/o\"},\"service\":\"orders\"" + more
                + ",\"auth\":" + auth + "}";
        return RouteCodec.parse(SRC, json.getBytes(StandardCharsets.UTF_8), "orders");
    }

    private static List<String> problems(String auth) {
        return assertThrows(ValidationException.class, () -> parse(auth)).problems().stream()
                .map(Problem::toString).toList();
    }

    @Test
    void aJwtBlockParsesWithDefaultsAndRoundTrips() throws Exception {
        Route r = parse("""
                {"jwt":{"issuer":"https://issuer.example.com/","audiences":["orders-api"],
                 "jwksUri":"https://issuer.example.com/jwks.json","algorithms":["RS256"],
                 "claimsToHeaders":{"sub":"X-User-Id"},"clockSkewSeconds":30}}""");
        Auth.Jwt jwt = r.auth().jwt();
        assertEquals("jwt", r.auth().kind());
        assertEquals(List.of("orders-api"), jwt.audiences());
        assertEquals(Map.of("sub", "X-User-Id"), jwt.claimsToHeaders());
        assertEquals(30, jwt.clockSkew());
        assertEquals(Auth.Jwt.DEFAULT_REFRESH_SECONDS, jwt.refreshSeconds());
        assertFalse(jwt.stripsAuthorization());
        assertEquals(r, RouteCodec.parse(SRC, RouteCodec.toJson(r), "orders"), "round trip");
    }

    @Test
    void apiKeyAndBasicTakeTheirDefaultHeadersAndRoundTrip() throws Exception {
        Route key = parse("{\"apiKey\":{\"credentials\":\"partners\"}}");
        assertEquals("X-Api-Key", key.auth().apiKey().keyHeader());
        assertEquals("X-Client-Name", key.auth().apiKey().nameHeader());
        assertEquals("partners", key.auth().credentials());
        Route basic = parse("{\"basic\":{\"credentials\":\"staff\",\"realm\":\"ops\",\"clientHeader\":\"X-User\"}}");
        assertEquals("ops", basic.auth().basic().realmName());
        assertEquals(basic, RouteCodec.parse(SRC, RouteCodec.toJson(basic), "orders"));
        assertEquals(key, RouteCodec.parse(SRC, RouteCodec.toJson(key), "orders"));
    }

    @Test
    void algNoneIsRefusedNamingTheField() {
        List<String> p = problems("{\"jwt\":{\"issuer\":\"i\",\"audiences\":[\"a\"],\"jwksZnode\":\"k\","
                + "\"algorithms\":[\"RS256\",\"none\"]}}");
        assertEquals(List.of(SRC + ": auth.jwt.algorithms[1]: 'none' is never accepted: an unsigned token proves "
                + "nothing"), p);
    }

    @Test
    void hmacAlgorithmsAreRefusedWithAKeySetFromAUrl() {
        List<String> p = problems("{\"jwt\":{\"issuer\":\"i\",\"audiences\":[\"a\"],"
                + "\"jwksUri\":\"https://i.example/jwks\",\"algorithms\":[\"HS256\"]}}");
        assertEquals(1, p.size(), p.toString());
        assertTrue(p.get(0).startsWith(SRC + ": auth.jwt.algorithms[0]: 'HS256' with jwksUri"), p.get(0));
    }

    @Test
    void everyMissingOrWrongJwtFieldIsReportedAtOnce() {
        List<String> p = problems("{\"jwt\":{\"audiences\":[],\"jwksUri\":\"http://issuer.example.com/jwks\","
                + "\"algorithms\":[\"XX1\"],\"claimsToHeaders\":{\"sub\":\"Host\"},\"clockSkewSeconds\":-1,"
                + "\"stripAuthorization\":\"yes\",\"colour\":1}}");
        String all = String.join("\n", p);
        for (String field : List.of("auth.jwt.issuer: missing", "auth.jwt.audiences: empty",
                "auth.jwt.jwksUri: 'http://issuer.example.com/jwks' (expected: https;",
                "auth.jwt.algorithms[0]: 'XX1'", "auth.jwt.claimsToHeaders.sub: 'Host' is a header the gateway keeps",
                "auth.jwt.clockSkewSeconds: -1", "auth.jwt.stripAuthorization: a string", "auth.jwt.colour: unknown")) {
            assertTrue(all.contains(SRC + ": " + field), field + " in\n" + all);
        }
    }

    @Test
    void exactlyOneKindAndOneKeySourceAreRequired() {
        assertEquals(List.of(SRC + ": auth: 2 kinds set (expected: exactly one of jwt, apiKey, basic)"),
                problems("{\"apiKey\":{\"credentials\":\"a\"},\"basic\":{\"credentials\":\"b\"}}"));
        assertTrue(problems("{\"jwt\":{\"issuer\":\"i\",\"audiences\":[\"a\"],\"algorithms\":[\"RS256\"]}}")
                .contains(SRC + ": auth.jwt.jwksUri: missing (expected: jwksUri or jwksZnode, the keys tokens are "
                        + "signed with)"));
    }

    @Test
    void aHashKeyClaimNeedsConsistentHashing() throws Exception {
        String auth = "{\"jwt\":{\"issuer\":\"i\",\"audiences\":[\"a\"],\"jwksZnode\":\"k\",\"algorithms\":"
                + "[\"ES256\"],\"hashKeyClaim\":\"sub\"}}";
        ValidationException e = assertThrows(ValidationException.class, () -> parse(auth));
        assertTrue(e.getMessage().contains("auth.jwt.hashKeyClaim: set, but lb.policy is not consistent_hash"),
                e.getMessage());
        assertEquals("sub", parse(auth, ",\"lb\":{\"policy\":\"consistent_hash\"}").auth().jwt().hashKeyClaim());
    }

    @Test
    void aBadCredentialSetNameOrKeyHeaderIsRefused() {
        String all = String.join("\n", problems("{\"apiKey\":{\"credentials\":\"a/b\",\"header\":\"Bad Header\"}}"));
        assertTrue(all.contains(SRC + ": auth.apiKey.credentials: 'a/b'"), all);
        assertTrue(all.contains(SRC + ": auth.apiKey.header: 'Bad Header'"), all);
    }

    @Test
    void anApiKeyCredentialKeepsOnlyTheSha256OfTheKey() throws Exception {
        Credential key = Credential.apiKey("zk_secret", "2026-12-01T00:00:00Z");
        assertEquals(64, key.hash().length());
        assertFalse(new String(key.toJson(), StandardCharsets.UTF_8).contains("zk_secret"));
        assertEquals(key, Credential.parse("/x", key.toJson()));
        ValidationException bad = assertThrows(ValidationException.class,
                () -> Credential.parse("/zkgate/credentials/s/n", "{\"type\":\"apiKey\",\"hash\":\"zz\"}"
                        .getBytes(StandardCharsets.UTF_8)));
        assertEquals("/zkgate/credentials/s/n: hash: not a SHA-256 (expected: 64 lower-case hex digits)",
                bad.getMessage());
    }

    @Test
    void aPasswordCredentialIsABcryptHashThatChecksOnlyThePassword() throws Exception {
        Credential pw = Credential.password("hunter2".toCharArray(), null);
        assertTrue(Credential.bcryptMatches(pw.hash(), "hunter2".toCharArray()));
        assertFalse(Credential.bcryptMatches(pw.hash(), "hunter3".toCharArray()));
        assertEquals(pw, Credential.parse("/x", pw.toJson()));
    }
}
