package io.zkgate.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.zkgate.config.GatewaySettings;
import io.zkgate.gateway.support.GatewayFixture;
import io.zkgate.gateway.support.Http;
import io.zkgate.gateway.support.RawHttp;
import io.zkgate.gateway.support.ScriptedBackend.Reply;
import io.zkgate.gateway.support.ScriptedBackend;
import io.zkgate.gateway.support.TestCertificates.Issued;
import io.zkgate.gateway.support.TestCertificates;
import io.zkgate.gateway.support.TlsClient;
import io.zkgate.gateway.support.TlsProtocolProbe;
import io.zkgate.gateway.support.WebSocketBackend;
import io.zkgate.gateway.support.WebSocketMessages;
import io.zkgate.gateway.support.ZkWriter;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The TLS listener end to end: SNI, reload from disk, protocol floor, start errors, redirects, the expiry metric, a
 * PKCS12 key store, and a WebSocket tunnel over TLS.
 */
class TlsEndToEndTest {
    private static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

    @TempDir
    static Path dir;
    static TestCertificates ca;
    static Path aCert;
    static Path aKey;
    static Path bCert;
    static Path bKey;

    @BeforeAll
    static void certificates() throws Exception {
        ca = TestCertificates.in(dir);
        aCert = dir.resolve("a.pem");
        aKey = dir.resolve("a.key");
        bCert = dir.resolve("b.pem");
        bKey = dir.resolve("b.key");
        ca.issue("a.test").writeTo(aCert, aKey);
        ca.issue("b.test", "EC", null, 30).writeTo(bCert, bKey);
    }

    @Test
    void eachClientGetsTheCertificateOfTheNameItAsksForAndTheBackendHearsHttps() throws Exception {
        try (GatewayFixture f = new GatewayFixture("--tls-port", "0", "--tls-cert", aCert.toString(), "--tls-key",
                aKey.toString(), "--tls-cert", bCert.toString(), "--tls-key", bKey.toString())) {
            ScriptedBackend backend = f.closeLater(ScriptedBackend.start(r -> Reply.keepAlive(OK)));
            route(f, backend);
            SSLContext trust = ca.clientContext();
            for (String name : List.of("a.test", "b.test")) {
                try (TlsClient client = new TlsClient(trust, f.gateway.tlsPort(), name)) { // verifies the name
                    assertEquals("CN=" + name, client.serverCertificate().getSubjectX500Principal().getName());
                    String response = awaitOk(client, name);
                    assertEquals("ok", RawHttp.body(response));
                }
            }
            ScriptedBackend.Received last = backend.received().get(backend.received().size() - 1);
            assertEquals("https", last.header("X-Forwarded-Proto"));
            assertEquals("b.test", last.header("X-Forwarded-Host"));
            // A client naming a host no certificate has fails the name check: no certificate is served for it.
            assertThrows(SSLHandshakeException.class, () -> new TlsClient(trust, f.gateway.tlsPort(), "c.test"));

            String metrics = Http.metrics(f.adminPort());
            Double left = Http.sample(metrics,
                    "zkgate_tls_certificate_expiry_seconds{certificate=\"a.test\",source=\"" + aCert + "\"}");
            assertNotNull(left, metrics);
            assertTrue(left > Duration.ofDays(29).toSeconds() && left <= Duration.ofDays(30).toSeconds(), "" + left);
            JsonNode listed = Http.json(f.adminPort(), "/admin/status").get("tls").get("certificates");
            assertEquals(List.of("a.test", "b.test"), List.of(listed.get(0).get("name").asText(),
                    listed.get(1).get("name").asText()));
            assertEquals(GatewayFixture.tlsProvider(),
                    Http.json(f.adminPort(), "/admin/status").get("tls").get("provider").asText());
        }
    }

    @Test
    void aCertificateRenewedOnDiskIsServedToNewHandshakesWhileAnOpenConnectionKeepsWorking() throws Exception {
        Path cert = dir.resolve("renewed.pem");
        Path key = dir.resolve("renewed.key");
        Issued first = ca.issue("a.test");
        first.writeTo(cert, key);
        try (GatewayFixture f = new GatewayFixture("--tls-port", "0", "--tls-cert", cert.toString(), "--tls-key",
                key.toString(), "--tls-reload-interval-ms", "200")) {
            ScriptedBackend backend = f.closeLater(ScriptedBackend.start(r -> Reply.keepAlive(OK)));
            route(f, backend);
            SSLContext trust = ca.clientContext();
            Issued renewed = ca.issue("a.test", "EC", null, 60);
            try (TlsClient open = new TlsClient(trust, f.gateway.tlsPort(), "a.test")) {
                assertEquals(first.certificate().getSerialNumber(), open.serverCertificate().getSerialNumber());
                awaitOk(open, "a.test");

                renewed.writeTo(cert, key);
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                    try (TlsClient fresh = new TlsClient(trust, f.gateway.tlsPort(), "a.test")) {
                        assertEquals(renewed.certificate().getSerialNumber(),
                                fresh.serverCertificate().getSerialNumber());
                        assertEquals(200, RawHttp.status(fresh.get("/tls/new", "a.test")));
                    }
                });
                // The connection opened before the renewal still serves, with the certificate it was opened with.
                assertEquals(200, RawHttp.status(open.get("/tls/old", "a.test")));
                assertEquals(first.certificate().getSerialNumber(), open.serverCertificate().getSerialNumber());
            }
            // A broken renewal (a key that is no key) is not served: new handshakes keep the last good certificate.
            Files.writeString(key, "not a key");
            Thread.sleep(1_000); // several reload intervals
            try (TlsClient fresh = new TlsClient(trust, f.gateway.tlsPort(), "a.test")) {
                assertEquals(renewed.certificate().getSerialNumber(), fresh.serverCertificate().getSerialNumber());
                assertEquals(200, RawHttp.status(fresh.get("/tls/after-bad", "a.test")));
            }
            assertTrue(backend.received().stream().anyMatch(r -> r.requestLine().contains("/tls/old")));
        }
    }

    @Test
    void tls11IsRefusedByTheGatewayEvenForAClientThatOffersIt() throws Exception {
        try (GatewayFixture f = new GatewayFixture("--tls-port", "0", "--tls-cert", aCert.toString(), "--tls-key",
                aKey.toString())) {
            Path caPem = ca.caPem();
            // The probe runs in a JVM whose own ban on TLS 1.0 and 1.1 is lifted, so only the gateway can refuse.
            String tls12 = probe(f.gateway.tlsPort(), "TLSv1.2", caPem);
            String tls11 = probe(f.gateway.tlsPort(), "TLSv1.1", caPem);
            assertEquals("OK TLSv1.2", tls12);
            assertTrue(tls11.startsWith("FAILED") && tls11.contains("protocol_version"), tls11);
        }
    }

    @Test
    void aGatewayWhoseCertificateCannotBeServedDoesNotStartAndSaysWhyInOneLine() throws Exception {
        Path expiredCert = dir.resolve("expired.pem");
        Path expiredKey = dir.resolve("expired.key");
        ca.issue("old.test", "RSA", "-400d", 30).writeTo(expiredCert, expiredKey);
        StartupException expired = assertThrows(StartupException.class, () -> start(expiredCert, expiredKey));
        assertTrue(expired.getMessage().matches("tls-cert .*expired\\.pem: the certificate old\\.test expired on "
                + "\\S+ \\(renew it, then start again\\)"), expired.getMessage());

        StartupException mismatch = assertThrows(StartupException.class, () -> start(aCert, bKey));
        assertTrue(mismatch.getMessage().startsWith("tls-key " + bKey + " does not match the certificate in "
                + aCert), mismatch.getMessage());

        Path missing = dir.resolve("missing.pem");
        StartupException absent = assertThrows(StartupException.class, () -> start(missing, aKey));
        assertEquals("tls-cert " + missing + ": no such file", absent.getMessage());
        assertTrue(!expired.getMessage().contains("\n") && !mismatch.getMessage().contains("\n"));
    }

    @Test
    void plainHttpIsRedirectedToTheTlsPortForEveryRequestWithTheFlagOrForRoutesThatAsk() throws Exception {
        try (GatewayFixture f = new GatewayFixture("--tls-port", "0", "--tls-cert", aCert.toString(), "--tls-key",
                aKey.toString(), "--tls-redirect")) {
            String response = RawHttp.exchange(f.port(), "GET /anything/x?q=1 HTTP/1.1\r\nHost: a.test:8080\r\n"
                    + "Connection: close\r\n\r\n");
            assertEquals(308, RawHttp.status(response));
            assertTrue(response.contains("Location: https://a.test:" + f.gateway.tlsPort() + "/anything/x?q=1\r\n"),
                    response);
            assertTrue(RawHttp.body(response).contains("\"error\":\"https_redirect\""), response);
            String acme = RawHttp.exchange(f.port(), "GET /.well-known/acme-challenge/t HTTP/1.1\r\nHost: a.test\r\n"
                    + "Connection: close\r\n\r\n");
            assertNotEquals(308, RawHttp.status(acme), acme);
        }
        try (GatewayFixture f = new GatewayFixture("--tls-port", "0", "--tls-cert", aCert.toString(), "--tls-key",
                aKey.toString())) {
            ScriptedBackend backend = f.closeLater(ScriptedBackend.start(r -> Reply.keepAlive(OK)));
            f.writer.register("s", "1", backend.port(), 1);
            f.writer.putRoute("secure", "{\"id\":\"secure\",\"match\":{\"pathPrefix\":\"/secure\"},\"service\":\"s\","
                    + "\"httpsRedirect\":true}");
            f.writer.putRoute("open", ZkWriter.route("open", "/open", "s"));
            await().atMost(Duration.ofSeconds(10)).until(() -> RawHttp.status(plainGet(f, "/open/x")) == 200);
            await().atMost(Duration.ofSeconds(10)).until(() -> RawHttp.status(plainGet(f, "/secure/x")) == 308);
            assertTrue(plainGet(f, "/secure/x").contains("Location: https://a.test:" + f.gateway.tlsPort()
                    + "/secure/x\r\n"));
            try (TlsClient client = new TlsClient(ca.clientContext(), f.gateway.tlsPort(), "a.test")) {
                assertEquals(200, RawHttp.status(client.get("/secure/x", "a.test")));
            }
        }
    }

    @Test
    void aPkcs12KeyStoreServesItsCertificate() throws Exception {
        Issued issued = ca.issue("k.test");
        Path file = pkcs12(issued, "s3cret");
        try (GatewayFixture f = new GatewayFixture("--tls-port", "0", "--tls-keystore", file.toString(),
                "--tls-keystore-password", "s3cret")) {
            try (TlsClient client = new TlsClient(ca.clientContext(), f.gateway.tlsPort(), "k.test")) {
                assertEquals(issued.certificate().getSerialNumber(), client.serverCertificate().getSerialNumber());
            }
        }
    }

    @Test
    void aWrongKeyStorePasswordIsAStartErrorNamingTheFile() throws Exception {
        Path file = pkcs12(ca.issue("k.test"), "s3cret");
        StartupException wrong = assertThrows(StartupException.class, () -> Gateway.start(settings("--zk",
                "127.0.0.1:1", "--port", "0", "--admin-port", "0", "--tls-port", "0", "--tls-keystore",
                file.toString(), "--tls-keystore-password", "wrong")).close());
        assertTrue(wrong.getMessage().startsWith("tls-keystore " + file + ": cannot be read as PKCS12 with the "
                + "password from ZKGATE_TLS_KEYSTORE_PASSWORD"), wrong.getMessage());
    }

    @Test
    void aWebSocketOverTlsIsTunnelledToItsBackend() throws Exception {
        Path cert = dir.resolve("ws.pem");
        Path key = dir.resolve("ws.key");
        ca.issue("localhost").writeTo(cert, key);
        try (GatewayFixture f = new GatewayFixture("--tls-port", "0", "--tls-cert", cert.toString(), "--tls-key",
                key.toString())) {
            WebSocketBackend backend = f.closeLater(WebSocketBackend.start("wss-a"));
            f.writer.register("wss", "a", backend.port(), 1);
            f.writer.putRoute("wss", "{\"id\":\"wss\",\"match\":{\"pathPrefix\":\"/wss\"},\"service\":\"wss\","
                    + "\"stripPrefix\":true}");
            HttpClient client = HttpClient.newBuilder().sslContext(ca.clientContext()).build();
            WebSocketMessages listener = new WebSocketMessages();
            URI uri = URI.create("wss://localhost:" + f.gateway.tlsPort() + "/wss/chat");
            WebSocket[] opened = new WebSocket[1];
            await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> {
                opened[0] = client.newWebSocketBuilder().buildAsync(uri, listener).get(10, TimeUnit.SECONDS);
                return true;
            });
            assertEquals("hello from wss-a", listener.next());
            opened[0].sendText("ping", true).get(10, TimeUnit.SECONDS);
            assertEquals("wss-a: ping", listener.next());
            assertEquals("/chat for 127.0.0.1", backend.lastHandshake());
            opened[0].sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(10, TimeUnit.SECONDS);
        }
    }

    /** A PKCS12 key store holding {@code issued} under {@code password}, written to a file of the test's own. */
    private static Path pkcs12(Issued issued, String password) throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry("k", issued.key(), password.toCharArray(), new Certificate[] {issued.certificate()});
        Path file = dir.resolve("k.p12");
        try (OutputStream out = Files.newOutputStream(file)) {
            store.store(out, password.toCharArray());
        }
        return file;
    }

    private static String plainGet(GatewayFixture f, String path) throws Exception {
        return RawHttp.exchange(f.port(), "GET " + path + " HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n");
    }

    private static void start(Path cert, Path key) throws Exception {
        // TLS is checked before anything else starts, so no ZooKeeper is needed to see the refusal.
        Gateway.start(settings("--zk", "127.0.0.1:1", "--port", "0", "--admin-port", "0", "--tls-port",
                "0", "--tls-cert", cert.toString(), "--tls-key", key.toString())).close();
    }

    /** Settings of a gateway started without a fixture, on the suite's TLS provider. */
    private static GatewaySettings settings(String... flags) throws Exception {
        List<String> all = new ArrayList<>(GatewayFixture.tlsProviderFlags());
        all.addAll(List.of(flags));
        return GatewaySettings.of(all.toArray(new String[0]));
    }

    private static void route(GatewayFixture f, ScriptedBackend backend) throws Exception {
        f.writer.register("tls", "1", backend.port(), 1);
        f.writer.putRoute("tls", ZkWriter.route("tls", "/tls", "tls"));
    }

    private static String awaitOk(TlsClient client, String host) throws Exception {
        String[] last = new String[1];
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            last[0] = client.get("/tls/x", host);
            return RawHttp.status(last[0]) == 200;
        });
        return last[0];
    }

    private static String probe(int port, String protocol, Path caPem) throws Exception {
        Path security = dir.resolve("java.security");
        Files.writeString(security, "jdk.tls.disabledAlgorithms=SSLv3, RC4, DES, MD5withRSA, DH keySize < 1024, "
                + "EC keySize < 224, 3DES_EDE_CBC, anon, NULL\n");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-Djava.security.properties=" + security, "-cp", System.getProperty("java.class.path"),
                TlsProtocolProbe.class.getName(), Integer.toString(port), protocol, caPem.toString()));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return out.lines().reduce((a, b) -> b).orElse("");
    }
}
