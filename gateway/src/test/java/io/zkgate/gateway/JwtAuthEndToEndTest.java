package io.zkgate.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import io.zkgate.gateway.support.GatewayFixture;
import io.zkgate.gateway.support.Http;
import io.zkgate.gateway.support.JwksIssuer;
import io.zkgate.gateway.support.ScriptedBackend.Received;
import io.zkgate.gateway.support.ScriptedBackend.Reply;
import io.zkgate.gateway.support.ScriptedBackend;
import io.zkgate.schema.ZnodeLayout;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * JWT routes through the real gateway, a real ZooKeeper and a real JWKS issuer (a local Jetty server): which tokens
 * pass, what the backend sees, and how key rotation and an issuer outage are handled.
 */
class JwtAuthEndToEndTest {
    private static final String ISSUER = "https://issuer.test/";

    private static String route(String jwksSource, String algorithms) {
        return "{\"id\":\"jwt\",\"match\":{\"pathPrefix\":\"/api\"},\"service\":\"api\",\"auth\":{\"jwt\":{"
                + "\"issuer\":\"" + ISSUER + "\",\"audiences\":[\"orders\",\"billing\"]," + jwksSource + ","
                + "\"algorithms\":" + algorithms + ",\"claimsToHeaders\":{\"sub\":\"X-User-Id\",\"roles\":\"X-Roles\"},"
                + "\"clockSkewSeconds\":5,\"stripAuthorization\":true"
                + (jwksSource.contains("jwksUri") ? ",\"jwksMinRefreshSeconds\":1" : "") + "}}}";
    }

    private static JWTClaimsSet.Builder claims() {
        long now = System.currentTimeMillis();
        return new JWTClaimsSet.Builder().issuer(ISSUER).audience("orders").subject("user-42")
                .claim("roles", List.of("reader", "writer")).issueTime(new Date(now))
                .expirationTime(new Date(now + 600_000));
    }

    private static HttpResponse<String> call(GatewayFixture f, String token, String... more) {
        String[] headers = new String[more.length + 2];
        headers[0] = "Authorization";
        headers[1] = "Bearer " + token;
        System.arraycopy(more, 0, headers, 2, more.length);
        return Http.get(f.port(), "/api/orders", headers);
    }

    private static ScriptedBackend backend(GatewayFixture f) throws Exception {
        ScriptedBackend backend = f.closeLater(ScriptedBackend.start(r -> Reply.keepAlive(
                "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")));
        f.writer.register("api", "1", backend.port(), 1);
        return backend;
    }

    private static Double rejected(GatewayFixture f, String reason) {
        return Http.metric(f.adminPort(), "zkgate_auth_rejected_total{route=\"jwt\",reason=\"" + reason + "\"}");
    }

    /** Publishes {@code k1}, puts the RS256 route on the issuer's URL and waits until a token signed with it passes. */
    private static ScriptedBackend serving(GatewayFixture f, JwksIssuer issuer, RSAKey k1) throws Exception {
        issuer.publish(k1);
        ScriptedBackend backend = backend(f);
        f.writer.putRoute("jwt", route("\"jwksUri\":\"" + issuer.jwksUri() + "\"", "[\"RS256\"]"));
        String token = JwksIssuer.sign(k1, claims().build());
        await().atMost(Duration.ofSeconds(10)).until(() -> call(f, token).statusCode() == 200);
        return backend;
    }

    @Test
    void aValidTokenReachesTheBackendWithItsClaimsAsHeadersAndForgedCopiesAndTheTokenRemoved() throws Exception {
        try (GatewayFixture f = new GatewayFixture(); JwksIssuer issuer = new JwksIssuer()) {
            RSAKey k1 = JwksIssuer.newKey("k1");
            ScriptedBackend backend = serving(f, issuer, k1);
            String token = JwksIssuer.sign(k1, claims().build());

            HttpResponse<String> ok = call(f, token, "X-User-Id", "admin", "X-Roles", "root");

            assertEquals(200, ok.statusCode(), ok.body());
            Received seen = backend.received().get(backend.received().size() - 1);
            assertEquals("user-42", seen.header("X-User-Id"), seen.head());
            assertEquals("reader,writer", seen.header("X-Roles"), seen.head());
            assertFalse(seen.head().contains("admin") || seen.head().contains("root"), seen.head());
            assertNull(seen.header("Authorization"), "stripAuthorization keeps the token from the backend");
            JsonNode routes = Http.json(f.adminPort(), "/admin/routes");
            assertEquals("jwt", routes.get("routes").get(0).get("auth").asText());

            f.writer.putRoute("jwt", route("\"jwksUri\":\"" + issuer.jwksUri() + "\"", "[\"none\"]"));
            await().atMost(Duration.ofSeconds(10)).until(() -> Http.json(f.adminPort(), "/admin/routes")
                    .get("routes").get(0).has("rejected"));
            assertTrue(Http.json(f.adminPort(), "/admin/routes").get("routes").get(0).get("rejected")
                    .get("error").asText().contains("auth.jwt.algorithms[0]: 'none' is never accepted"));
            assertEquals(200, call(f, token).statusCode(), "the last good version keeps serving");
        }
    }

    @Test
    void expiredNotYetValidWrongAudienceWrongIssuerUnsignedAndKeyConfusedTokensAreRefusedAlike() throws Exception {
        try (GatewayFixture f = new GatewayFixture(); JwksIssuer issuer = new JwksIssuer()) {
            RSAKey k1 = JwksIssuer.newKey("k1");
            ScriptedBackend backend = serving(f, issuer, k1);
            String valid = JwksIssuer.sign(k1, claims().build());
            int reached = backend.received().size();
            long now = System.currentTimeMillis();

            SignedJWT confused = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID("k1").build(),
                    claims().build());
            confused.sign(new MACSigner(k1.toRSAPublicKey().getEncoded()));
            List<String[]> cases = List.of(
                    new String[] {"expired", JwksIssuer.sign(k1, claims().expirationTime(new Date(now - 60_000))
                            .build())},
                    new String[] {"not_yet_valid", JwksIssuer.sign(k1, claims().notBeforeTime(new Date(now + 60_000))
                            .build())},
                    new String[] {"audience", JwksIssuer.sign(k1, claims().audience("someone-else").build())},
                    new String[] {"issuer", JwksIssuer.sign(k1, claims().issuer("https://evil.test/").build())},
                    new String[] {"algorithm", new PlainJWT(claims().build()).serialize()},
                    new String[] {"algorithm", confused.serialize()},
                    new String[] {"bad_signature", valid.substring(0, valid.length() - 4) + "AAAA"},
                    new String[] {"malformed", "not-a-jwt"});
            for (String[] c : cases) {
                HttpResponse<String> r = call(f, c[1]);
                assertEquals(401, r.statusCode(), c[0] + ": " + r.body());
                assertEquals("Bearer realm=\"zkgate\", error=\"invalid_token\"",
                        r.headers().firstValue("WWW-Authenticate").orElse(null), c[0]);
                assertTrue(r.body().startsWith("{\"status\":401,\"error\":\"unauthorized\",\"route\":\"jwt\","
                        + "\"message\":\"the bearer token is not valid\""), c[0] + ": " + r.body());
            }
            HttpResponse<String> none = Http.get(f.port(), "/api/orders");
            assertEquals(401, none.statusCode());
            assertEquals("Bearer realm=\"zkgate\"", none.headers().firstValue("WWW-Authenticate").orElse(null));

            assertEquals(reached, backend.received().size(), "no refused request reached the backend");
            for (String reason : List.of("expired", "not_yet_valid", "audience", "issuer", "bad_signature",
                    "malformed", "missing")) {
                assertEquals(1.0, rejected(f, reason), reason);
            }
            assertEquals(2.0, rejected(f, "algorithm"));
        }
    }

    @Test
    void aRotatedKeyIsFetchedOnItsFirstUnknownKidAndTheLastGoodKeysServeWhileTheIssuerIsDown() throws Exception {
        try (GatewayFixture f = new GatewayFixture(); JwksIssuer issuer = new JwksIssuer()) {
            RSAKey k1 = JwksIssuer.newKey("k1");
            RSAKey k2 = JwksIssuer.newKey("k2");
            serving(f, issuer, k1);
            String first = JwksIssuer.sign(k1, claims().build());
            String second = JwksIssuer.sign(k2, claims().build());
            assertEquals(401, call(f, second).statusCode(), "k2 is not published yet");

            Thread.sleep(1100); // past the minimum interval between fetches
            issuer.publish(k1, k2);
            assertEquals(401, call(f, second).statusCode(), "the unknown kid is refused, and starts a fetch");
            await().atMost(Duration.ofSeconds(5)).until(() -> call(f, second).statusCode() == 200);

            RSAKey madeUp = JwksIssuer.newKey("made-up");
            List<String> flood = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                flood.add(JwksIssuer.sign(new RSAKey.Builder(madeUp).keyID("made-up-" + i).build(), claims().build()));
            }
            int fetches = issuer.fetches();
            long start = System.nanoTime();
            for (String token : flood) {
                assertEquals(401, call(f, token).statusCode());
            }
            long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
            assertTrue(issuer.fetches() - fetches <= seconds + 1, "a flood of unknown kids is rate limited to one "
                    + "fetch a second: " + (issuer.fetches() - fetches) + " fetches in " + seconds + " s");

            issuer.stop();
            Thread.sleep(1100);
            assertEquals(401, call(f, JwksIssuer.sign(JwksIssuer.newKey("k3"), claims().build())).statusCode());
            Thread.sleep(500); // the fetch that kid started has failed by now
            assertEquals(200, call(f, first).statusCode(), "the last good keys keep serving");
            assertEquals(200, call(f, second).statusCode(), "the last good keys keep serving");
        }
    }

    @Test
    void aKeySetPinnedInAZnodeIsWatched() throws Exception {
        try (GatewayFixture f = new GatewayFixture()) {
            RSAKey rsa = JwksIssuer.newKey("rsa");
            OctetSequenceKey hmac = hmacKey();
            String rsaToken = pinAndServe(f, rsa, hmac);

            f.writer.putRaw(ZnodeLayout.defaults().jwksPath("pinned"), new JWKSet(List.of(hmac)).toString(false));
            await().atMost(Duration.ofSeconds(5)).until(() -> call(f, rsaToken).statusCode() == 401);
        }
    }

    @Test
    void aPinnedHmacKeyNeverChecksAnRsaSignatureNorAnRsaKeyAnHmacOne() throws Exception {
        try (GatewayFixture f = new GatewayFixture()) {
            RSAKey rsa = JwksIssuer.newKey("rsa");
            OctetSequenceKey hmac = hmacKey();
            pinAndServe(f, rsa, hmac);
            SignedJWT hs = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID("hmac").build(),
                    claims().build());
            hs.sign(new MACSigner(hmac));
            assertEquals(200, call(f, hs.serialize()).statusCode());

            SignedJWT confused = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID("rsa").build(),
                    claims().build());
            confused.sign(new MACSigner(rsa.toRSAPublicKey().getEncoded()));
            assertEquals(401, call(f, confused.serialize()).statusCode(), "the RSA key is never an HMAC secret");
            SignedJWT rsaSignedWithHmacKid = new SignedJWT(
                    new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("hmac").build(), claims().build());
            rsaSignedWithHmacKid.sign(new com.nimbusds.jose.crypto.RSASSASigner(rsa));
            assertEquals(401, call(f, rsaSignedWithHmacKid.serialize()).statusCode(),
                    "an RS256 token naming the HMAC key finds no RSA key of that id");
        }
    }

    private static OctetSequenceKey hmacKey() {
        return new OctetSequenceKey.Builder(new byte[32]).keyID("hmac").build();
    }

    /**
     * Pins {@code rsa} (public part) and {@code hmac} in key set znode {@code pinned}, serves route jwt with it and
     * waits until a token signed with {@code rsa} passes; returns that token.
     */
    private static String pinAndServe(GatewayFixture f, RSAKey rsa, OctetSequenceKey hmac) throws Exception {
        f.writer.putRaw(ZnodeLayout.defaults().jwksPath("pinned"),
                new JWKSet(List.of(rsa.toPublicJWK(), hmac)).toString(false));
        backend(f);
        f.writer.putRoute("jwt", route("\"jwksZnode\":\"pinned\"", "[\"RS256\",\"HS256\"]"));
        String rsaToken = JwksIssuer.sign(rsa, claims().build());
        await().atMost(Duration.ofSeconds(10)).until(() -> call(f, rsaToken).statusCode() == 200);
        return rsaToken;
    }
}
