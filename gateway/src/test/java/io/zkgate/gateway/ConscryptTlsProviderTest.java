package io.zkgate.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.zkgate.gateway.support.GatewayFixture;
import io.zkgate.gateway.support.Http;
import io.zkgate.gateway.support.JarProcess;
import io.zkgate.gateway.support.LogCapture;
import io.zkgate.gateway.support.RawHttp;
import io.zkgate.gateway.support.ScriptedBackend.Reply;
import io.zkgate.gateway.support.ScriptedBackend;
import io.zkgate.gateway.support.TestCertificates;
import io.zkgate.gateway.support.TlsClient;
import io.zkgate.gateway.support.ZkWriter;
import io.zkgate.gateway.tls.TlsProvider;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code --tls-provider conscrypt} and the default, {@code auto}: what only Conscrypt can get wrong, on both engines:
 * h2 chosen by ALPN through Jetty's Conscrypt ALPN processor (the JDK's processor does not apply to a Conscrypt
 * engine), the same protocols and AEAD cipher list as the JDK's provider; the default choosing Conscrypt where it
 * loads and an explicit {@code jdk} staying on the JDK's; and a gateway whose Conscrypt cannot load serving with the
 * JDK's provider after one log line. (TlsEndToEndTest and Http2EndToEndTest run whole on the default, so on Conscrypt
 * here, and again on {@code jdk} in the build's jdk-provider pass.) Each test names its provider, or none for the
 * default.
 */
class ConscryptTlsProviderTest {
    private static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

    @TempDir
    static Path dir;
    static TestCertificates ca;
    /** {@code --tls-cert} and {@code --tls-key} of an ECDSA certificate for localhost. */
    static List<String> certificateFlags;

    @BeforeAll
    static void certificates() throws Exception {
        ca = TestCertificates.in(dir);
        ca.issue("localhost", "EC", null, 30).writeTo(dir.resolve("localhost.pem"), dir.resolve("localhost.key"));
        certificateFlags = List.of("--tls-cert", dir.resolve("localhost.pem").toString(), "--tls-key",
                dir.resolve("localhost.key").toString());
    }

    @Test
    void anH2ClientIsServedHttp2ByAlpnAndAnHttp11ClientHttp11OnBothEnginesWithConscrypt() throws Exception {
        for (String engine : List.of("loop", "servlet")) {
            try (GatewayFixture f = gateway("--engine", engine)) {
                ScriptedBackend backend = f.closeLater(ScriptedBackend.start(r -> Reply.keepAlive(OK)));
                route(f, backend);
                HttpClient h2 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2)
                        .sslContext(ca.clientContext()).connectTimeout(Duration.ofSeconds(5)).build();
                URI uri = URI.create("https://localhost:" + f.gateway.tlsPort() + "/c/x");
                AtomicReference<HttpResponse<String>> last = new AtomicReference<>();
                await().atMost(Duration.ofSeconds(10)).until(() -> {
                    last.set(h2.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString()));
                    return last.get().statusCode() == 200;
                });
                assertEquals(HttpClient.Version.HTTP_2, last.get().version(), engine);
                assertEquals("ok", last.get().body());
                try (TlsClient http11 = new TlsClient(ca.clientContext(), f.gateway.tlsPort(), "localhost")) {
                    String response = http11.get("/c/y", "localhost");
                    assertTrue(response.startsWith("HTTP/1.1 200"), response);
                }
                assertEquals("conscrypt", Http.json(f.adminPort(), "/admin/status").get("tls")
                        .get("provider").asText(), engine);
            }
        }
    }

    @Test
    void conscryptServesTls13AndOnlyTheModernAeadSuitesOfTls12() throws Exception {
        try (GatewayFixture f = gateway()) {
            int port = f.gateway.tlsPort();
            try (SSLSocket tls13 = handshake(port, "TLSv1.3", "TLS_AES_128_GCM_SHA256")) {
                assertEquals("TLSv1.3", tls13.getSession().getProtocol());
            }
            for (String aead : List.of("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
                    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256")) {
                try (SSLSocket tls12 = handshake(port, "TLSv1.2", aead)) {
                    assertEquals(aead, tls12.getSession().getCipherSuite());
                }
            }
            // CBC suites both ends implement for this ECDSA certificate: refused only by the gateway's list.
            for (String refused : List.of("TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
                    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA")) {
                assertThrows(SSLException.class, () -> handshake(port, "TLSv1.2", refused).close(), refused);
            }
        }
    }

    @Test
    void theDefaultProviderIsConscryptWhereItsNativeLibraryLoadsAndAnExplicitJdkStaysOnTheJdk() throws Exception {
        assumeTrue(System.getProperty("zkgate.tlsProvider") == null, "a pass on another provider has no default");
        assertTrue(TlsProvider.conscryptLoads(), "Conscrypt's native library loads on the build machine");
        try (LogCapture logs = new LogCapture(TlsProvider.class.getName());
                GatewayFixture f = new GatewayFixture(withCertificate("--tls-port", "0"))) {
            assertEquals("conscrypt", Http.json(f.adminPort(), "/admin/status").get("tls").get("provider").asText());
            assertEquals("Conscrypt", f.gateway.tls().factory().getSslContext().getProvider().getName());
            assertEquals(1, logs.messages().stream().filter(l -> l.contains("TLS provider: conscrypt")
                    && l.contains("chosen by --tls-provider auto")).count(), logs.messages().toString());
            servesHttps(f);
        }
        try (GatewayFixture f = new GatewayFixture(withCertificate("--tls-port", "0", "--tls-provider", "jdk"))) {
            assertEquals("jdk", Http.json(f.adminPort(), "/admin/status").get("tls").get("provider").asText());
            assertEquals("SunJSSE", f.gateway.tls().factory().getSslContext().getProvider().getName());
            servesHttps(f);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"conscrypt", "auto"})
    void aGatewayWhoseConscryptCannotLoadSaysSoInOneLineAndServesTlsWithTheJdkProvider(String asked)
            throws Exception {
        // Conscrypt extracts its native library to a working directory before loading it; one where no file can be
        // created (as with a read-only temporary directory) makes the load fail, in a JVM of its own.
        int admin = JarProcess.freePort();
        int tlsPort = JarProcess.freePort();
        Path log = dir.resolve("fallback-" + asked + ".log");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-Xmx128m", "-Dorg.conscrypt.native.workdir=/proc/self",
                "-cp", System.getProperty("java.class.path"), GatewayMain.class.getName(),
                "--port", "0", "--admin-port", Integer.toString(admin), "--tls-port", Integer.toString(tlsPort),
                "--tls-provider", asked, "--embedded-zk-port", Integer.toString(JarProcess.freePort()),
                "--data-dir", dir.resolve("fallback-data-" + asked).toString()));
        command.addAll(certificateFlags);
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() -> assertEquals("jdk",
                    Http.json(admin, "/admin/status").get("tls").get("provider").asText()));
            try (TlsClient client = new TlsClient(ca.clientContext(), tlsPort, "localhost")) {
                assertEquals(404, RawHttp.status(client.get("/none", "localhost")));
            }
            String output = Files.readString(log, StandardCharsets.UTF_8);
            List<String> said = output.lines().filter(l -> l.contains("conscrypt cannot load")).toList();
            assertEquals(1, said.size(), output);
            assertTrue(said.get(0).contains("serving TLS with the JDK's provider"), said.get(0));
            assertEquals(asked.equals("auto"), said.get(0).contains("(--tls-provider auto)"), said.get(0));
            assertTrue(p.isAlive(), output);
        } finally {
            p.destroy();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }

    private static GatewayFixture gateway(String... flags) throws Exception {
        List<String> all = new ArrayList<>(List.of("--tls-provider", "conscrypt"));
        all.addAll(List.of(flags));
        return new GatewayFixture(withCertificate(all.toArray(new String[0])));
    }

    private static String[] withCertificate(String... flags) {
        List<String> all = new ArrayList<>(List.of(flags));
        if (!all.contains("--tls-port")) {
            all.addAll(List.of("--tls-port", "0"));
        }
        all.addAll(certificateFlags);
        return all.toArray(new String[0]);
    }

    private static void servesHttps(GatewayFixture f) throws Exception {
        ScriptedBackend backend = f.closeLater(ScriptedBackend.start(r -> Reply.keepAlive(OK)));
        route(f, backend);
        try (TlsClient client = new TlsClient(ca.clientContext(), f.gateway.tlsPort(), "localhost")) {
            await().atMost(Duration.ofSeconds(10)).until(() -> RawHttp.status(client.get("/c/x", "localhost")) == 200);
        }
    }

    private static void route(GatewayFixture f, ScriptedBackend backend) throws Exception {
        f.writer.register("c", "1", backend.port(), 1);
        f.writer.putRoute("c", ZkWriter.route("c", "/c", "c"));
    }

    /** A JDK client offering one protocol and one cipher suite; throws when the gateway accepts neither. */
    private static SSLSocket handshake(int port, String protocol, String suite) throws Exception {
        SSLContext context = ca.clientContext();
        SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", port);
        try {
            socket.setSoTimeout(10_000);
            socket.setEnabledProtocols(new String[] {protocol});
            socket.setEnabledCipherSuites(new String[] {suite});
            socket.startHandshake();
            return socket;
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }
}
