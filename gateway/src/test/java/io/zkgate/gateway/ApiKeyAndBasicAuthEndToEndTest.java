package io.zkgate.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.gateway.support.GatewayFixture;
import io.zkgate.gateway.support.Http;
import io.zkgate.gateway.support.LogCapture;
import io.zkgate.gateway.support.RawHttp;
import io.zkgate.gateway.support.ScriptedBackend.Received;
import io.zkgate.gateway.support.ScriptedBackend.Reply;
import io.zkgate.gateway.support.ScriptedBackend;
import io.zkgate.schema.Credential;
import io.zkgate.schema.ZnodeLayout;
import io.zkgate.schema.cli.ZkgateCtl;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/**
 * API keys and basic auth through the real gateway on a real ZooKeeper, with credentials added and revoked by
 * {@code zkgate-ctl}: right, wrong and missing credentials, revocation within a second, and a backend that never sees
 * the secret.
 */
class ApiKeyAndBasicAuthEndToEndTest {
    private static ScriptedBackend backend(GatewayFixture f) throws Exception {
        ScriptedBackend backend = f.closeLater(ScriptedBackend.start(r -> Reply.keepAlive(
                "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")));
        f.writer.register("api", "1", backend.port(), 1);
        return backend;
    }

    private static String ctl(GatewayFixture f, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        String[] all = new String[args.length + 2];
        all[0] = "--zk";
        all[1] = f.zk.getConnectString();
        System.arraycopy(args, 0, all, 2, args.length);
        int code = ZkgateCtl.run(all, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(0, code, err.toString(StandardCharsets.UTF_8));
        return out.toString(StandardCharsets.UTF_8).trim();
    }

    private static Received last(ScriptedBackend backend) {
        return backend.received().get(backend.received().size() - 1);
    }

    @Test
    void anApiKeyAddedWithZkgateCtlPassesUntilRevokedAndTheBackendSeesOnlyItsName() throws Exception {
        try (GatewayFixture f = new GatewayFixture()) {
            ScriptedBackend backend = backend(f);
            String key = ctl(f, "credentials", "add-key", "partners", "acme");
            f.writer.putRoute("keyed", "{\"id\":\"keyed\",\"match\":{\"pathPrefix\":\"/api\"},\"service\":\"api\","
                    + "\"auth\":{\"apiKey\":{\"credentials\":\"partners\"}}}");
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> Http.get(f.port(), "/api/x", "X-Api-Key", key).statusCode() == 200);

            HttpResponse<String> ok = Http.get(f.port(), "/api/x", "X-Api-Key", key, "X-Client-Name", "admin");
            assertEquals(200, ok.statusCode());
            Received seen = last(backend);
            assertEquals("acme", seen.header("X-Client-Name"), seen.head());
            assertNull(seen.header("X-Api-Key"), seen.head());
            assertFalse(seen.head().contains(key), seen.head());
            int reached = backend.received().size();

            HttpResponse<String> wrong = Http.get(f.port(), "/api/x", "X-Api-Key", key + "x");
            assertEquals(401, wrong.statusCode());
            assertEquals("ApiKey realm=\"zkgate\", header=\"X-Api-Key\"",
                    wrong.headers().firstValue("WWW-Authenticate").orElse(null));
            assertTrue(wrong.body().contains("\"error\":\"unauthorized\""), wrong.body());
            HttpResponse<String> missing = Http.get(f.port(), "/api/x");
            assertEquals(401, missing.statusCode());
            assertEquals(reached, backend.received().size());
            assertEquals(1.0, Http.metric(f.adminPort(),
                    "zkgate_auth_rejected_total{route=\"keyed\",reason=\"invalid\"}"));
            assertEquals(1.0, Http.metric(f.adminPort(),
                    "zkgate_auth_rejected_total{route=\"keyed\",reason=\"missing\"}"));

            ctl(f, "credentials", "revoke", "partners", "acme");
            long revoked = System.nanoTime();
            await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(20))
                    .until(() -> Http.get(f.port(), "/api/x", "X-Api-Key", key).statusCode() == 401);
            assertTrue(System.nanoTime() - revoked < 1_000_000_000L);
        }
    }

    @Test
    void aBasicAuthUserPassesWithTheRightPasswordOnlyUntilRevokedAndTheBackendNeverSeesThePassword()
            throws Exception {
        try (GatewayFixture f = new GatewayFixture()) {
            ScriptedBackend backend = backend(f);
            f.writer.putRaw(ZnodeLayout.defaults().credentialPath("staff", "alice"),
                    new String(Credential.password("correct horse".toCharArray(), null).toJson(),
                            StandardCharsets.UTF_8));
            f.writer.putRoute("staff", "{\"id\":\"staff\",\"match\":{\"pathPrefix\":\"/api\"},\"service\":\"api\","
                    + "\"auth\":{\"basic\":{\"credentials\":\"staff\",\"realm\":\"ops\"}}}");
            String right = basic("alice", "correct horse");
            await().atMost(Duration.ofSeconds(10)).until(() -> Http.get(f.port(), "/api/x").statusCode() == 401);
            // On the event loop the first request of a credential is answered 503 auth_pending while bcrypt runs
            // in the background; the servlet engine checks it at once.
            HttpResponse<String> first = Http.get(f.port(), "/api/x", "Authorization", right);
            if ("servlet".equals(System.getProperty("zkgate.engine"))) {
                assertEquals(200, first.statusCode(), first.body());
            } else {
                assertEquals(503, first.statusCode(), first.body());
                assertEquals("1", first.headers().firstValue("Retry-After").orElse(null));
                assertTrue(first.body().contains("\"error\":\"auth_pending\""), first.body());
            }
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                    .until(() -> Http.get(f.port(), "/api/x", "Authorization", right).statusCode() == 200);

            HttpResponse<String> ok = Http.get(f.port(), "/api/x", "Authorization", right, "X-Client-Name", "root");
            assertEquals(200, ok.statusCode());
            Received seen = last(backend);
            assertEquals("alice", seen.header("X-Client-Name"), seen.head());
            assertNull(seen.header("Authorization"), seen.head());
            int reached = backend.received().size();

            String wrong = basic("alice", "wrong horse");
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                    .until(() -> Http.get(f.port(), "/api/x", "Authorization", wrong).statusCode() == 401);
            HttpResponse<String> missing = Http.get(f.port(), "/api/x");
            assertEquals(401, missing.statusCode());
            assertEquals("Basic realm=\"ops\", charset=\"UTF-8\"",
                    missing.headers().firstValue("WWW-Authenticate").orElse(null));
            assertEquals(reached, backend.received().size(), "refused requests never reach the backend");

            ctl(f, "credentials", "revoke", "staff", "alice");
            await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(20))
                    .until(() -> Http.get(f.port(), "/api/x", "Authorization", right).statusCode() != 200);
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                    .until(() -> Http.get(f.port(), "/api/x", "Authorization", right).statusCode() == 401);
            assertEquals(reached, backend.received().size(), "a revoked user never reaches the backend");
        }
    }

    @Test
    void aBadEditOfAnExistingCredentialKeepsItsLastGoodVersionAndLogsTheZnodeAndReasonOnce() throws Exception {
        try (LogCapture logged = new LogCapture("io.zkgate.gateway.auth"); GatewayFixture f = new GatewayFixture()) {
            backend(f);
            String key = ctl(f, "credentials", "add-key", "partners", "acme");
            f.writer.putRoute("keyed", "{\"id\":\"keyed\",\"match\":{\"pathPrefix\":\"/api\"},\"service\":\"api\","
                    + "\"auth\":{\"apiKey\":{\"credentials\":\"partners\"}}}");
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> Http.get(f.port(), "/api/x", "X-Api-Key", key).statusCode() == 200);

            String acme = ZnodeLayout.defaults().credentialPath("partners", "acme");
            f.writer.putRaw(acme, "{\"type\":\"apiKey\",\"hash\":\"not-a-sha\"}");
            String later = ctl(f, "credentials", "add-key", "partners", "later"); // watched after the bad edit
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> Http.get(f.port(), "/api/x", "X-Api-Key", later).statusCode() == 200);
            assertEquals(200, Http.get(f.port(), "/api/x", "X-Api-Key", key).statusCode(),
                    "the bad edit did not revoke the key: its last good version stays");
            assertEquals(1, logged.messages().stream().filter(m -> m.contains(acme + ": hash: not a SHA-256")
                    && m.contains("last good version")).count(), logged.messages().toString());

            f.writer.putRaw(ZnodeLayout.defaults().credentialPath("partners", "fresh"), "{\"type\":\"nope\"}");
            await().atMost(Duration.ofSeconds(10)).until(() -> logged.messages().stream()
                    .anyMatch(m -> m.contains("partners/fresh: type: ") && m.contains("not usable")));

            ctl(f, "credentials", "revoke", "partners", "acme");
            await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(20))
                    .until(() -> Http.get(f.port(), "/api/x", "X-Api-Key", key).statusCode() == 401);
        }
    }

    @Test
    void aWebSocketHandshakeIsAuthenticatedLikeAnyRequest() throws Exception {
        try (GatewayFixture f = new GatewayFixture()) {
            ScriptedBackend backend = f.closeLater(ScriptedBackend.start(r -> Reply.keepAlive(
                    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                            + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")));
            f.writer.register("ws", "1", backend.port(), 1);
            String key = ctl(f, "credentials", "add-key", "partners", "acme");
            f.writer.putRoute("ws", "{\"id\":\"ws\",\"match\":{\"pathPrefix\":\"/ws\"},\"service\":\"ws\","
                    + "\"auth\":{\"apiKey\":{\"credentials\":\"partners\"}}}");
            String handshake = "GET /ws/chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
            await().atMost(Duration.ofSeconds(10)).until(() -> RawHttp.status(RawHttp.exchange(f.port(),
                    handshake + "X-Api-Key: " + key + "\r\n\r\n")) == 101);
            Received seen = last(backend);
            assertEquals("acme", seen.header("X-Client-Name"), seen.head());
            assertNull(seen.header("X-Api-Key"), seen.head());
            int reached = backend.received().size();

            String refused = RawHttp.exchange(f.port(), handshake + "\r\n");
            assertEquals(401, RawHttp.status(refused), refused);
            assertTrue(refused.contains("\"error\":\"unauthorized\""), refused);
            assertEquals(reached, backend.received().size());
        }
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }
}
