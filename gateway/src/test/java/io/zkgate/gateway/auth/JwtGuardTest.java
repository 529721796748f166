package io.zkgate.gateway.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.zkgate.gateway.balancer.Balancers;
import io.zkgate.gateway.balancer.Endpoint;
import io.zkgate.gateway.metrics.GatewayMetrics;
import io.zkgate.gateway.routing.Decision;
import io.zkgate.gateway.routing.HeaderEdits;
import io.zkgate.gateway.routing.RequestRouter;
import io.zkgate.gateway.routing.RetryBudget;
import io.zkgate.gateway.routing.RouteEntry;
import io.zkgate.gateway.routing.RouteTable;
import io.zkgate.gateway.routing.Snapshot;
import io.zkgate.gateway.routing.SnapshotRef;
import io.zkgate.gateway.routing.TestRequest;
import io.zkgate.gateway.routing.UpstreamPolicy;
import io.zkgate.schema.Route;
import io.zkgate.schema.RouteCodec;
import java.nio.charset.StandardCharsets;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The JWT guard inside the one routing decision, without a server: hash key from a claim, and header values. */
class JwtGuardTest {
    private final OctetSequenceKey secret = new OctetSequenceKey.Builder(new byte[32]).keyID("s").build();
    private final Endpoint a = new Endpoint("svc", "a", "10.0.0.1", 8080, 1);
    private final Endpoint b = new Endpoint("svc", "b", "10.0.0.2", 8080, 1);

    @Test
    void aVerifiedClaimIsTheConsistentHashKeyAndAClientHeaderOfTheSameNameIsNot() throws Exception {
        Route route = RouteCodec.parse("/zkgate/routes/h", ("{\"match\":{\"pathPrefix\":\"/\"},\"service\":\"svc\","
                + "\"lb\":{\"policy\":\"consistent_hash\",\"hashKey\":\"header:X-User-Id\"},\"auth\":{\"jwt\":{"
                + "\"issuer\":\"i\",\"audiences\":[\"a\"],\"jwksZnode\":\"k\",\"algorithms\":[\"HS256\"],"
                + "\"claimsToHeaders\":{\"sub\":\"X-User-Id\"},\"hashKeyClaim\":\"sub\"}}}")
                .getBytes(StandardCharsets.UTF_8), "h");
        KeySource keys = new KeySource() {
            @Override
            public JWKSet keys() {
                return new JWKSet(secret);
            }

            @Override
            public void unknownKey() {}
        };
        RouteEntry entry = new RouteEntry(route, 0, Balancers.create(route.lb(), new Endpoint[] {a, b}),
                new UpstreamPolicy(1000, 15000, 0, new RetryBudget(0.2, 10)), new GatewayMetrics().route("h"), null,
                List.of(new JwtGuard(route.auth().jwt(), keys, new AuthRejections(null, "h"))));
        SnapshotRef snapshots = new SnapshotRef();
        snapshots.publish(new Snapshot(1, RouteTable.of(List.of(entry)), Map.of(), true, 0));
        RequestRouter router = new RequestRouter(snapshots, null, 1000, e -> {}, 3);

        Decision.Forward forward = assertInstanceOf(Decision.Forward.class, router.route(TestRequest.get("/x")
                .withHeader("Authorization", "Bearer " + token("user-7")).withHeader("X-User-Id", "forged")));

        assertEquals("user-7", forward.hashKey(), "the claim, not the client's header");
        for (int i = 0; i < 5; i++) {
            assertSame(forward.endpoint(), ((Decision.Forward) router.route(TestRequest.get("/y")
                    .withHeader("Authorization", "Bearer " + token("user-7")))).endpoint());
        }
        Decision.Refuse refused = assertInstanceOf(Decision.Refuse.class,
                router.route(TestRequest.get("/x").withHeader("X-User-Id", "user-7")));
        assertEquals(401, refused.error().status());
    }

    @Test
    void aTokenCheckedOnceIsCheckedAgainWhenTheKeySetChanges() throws Exception {
        Route route = RouteCodec.parse("/zkgate/routes/c", ("{\"match\":{\"pathPrefix\":\"/\"},\"service\":\"svc\","
                + "\"auth\":{\"jwt\":{\"issuer\":\"i\",\"audiences\":[\"a\"],\"jwksZnode\":\"k\","
                + "\"algorithms\":[\"HS256\"]}}}").getBytes(StandardCharsets.UTF_8), "c");
        AtomicReference<JWKSet> set = new AtomicReference<>(new JWKSet(secret));
        KeySource keys = new KeySource() {
            @Override
            public JWKSet keys() {
                return set.get();
            }

            @Override
            public void unknownKey() {}
        };
        JwtGuard guard = new JwtGuard(route.auth().jwt(), keys, new AuthRejections(null, "c"));
        TestRequest request = TestRequest.get("/x").withHeader("Authorization", "Bearer " + token("u"));

        assertNull(guard.check(request, null, new HeaderEdits()));
        assertNull(guard.check(request, null, new HeaderEdits()), "passes again from the cache");
        set.set(new JWKSet(new OctetSequenceKey.Builder(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
                15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32}).keyID("s").build()));
        assertInstanceOf(Decision.Refuse.class, guard.check(request, null, new HeaderEdits()),
                "the key it was signed with is gone: the cached verdict does not count");
    }

    @Test
    void claimsBecomeHeaderValuesAndOnesThatWouldSplitAHeaderAreDropped() {
        assertEquals("a,b", JwtGuard.headerValue(List.of("a", "b")));
        assertEquals("{\"k\":1}", JwtGuard.headerValue(Map.of("k", 1)));
        assertEquals("1700000000", JwtGuard.headerValue(new Date(1_700_000_000_000L)));
        assertEquals("true", JwtGuard.headerValue(true));
        assertNull(JwtGuard.headerValue("x\r\nX-Admin: 1"));
        assertNull(JwtGuard.headerValue(null));
    }

    private String token(String subject) throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID("s").build(),
                new JWTClaimsSet.Builder().issuer("i").audience("a").subject(subject)
                        .expirationTime(new Date(System.currentTimeMillis() + 60_000)).build());
        jwt.sign(new MACSigner(secret));
        return jwt.serialize();
    }
}
