package io.zkgate.gateway.upstream;

import static io.zkgate.gateway.upstream.UpstreamTlsEndToEndTest.tls;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.zkgate.gateway.support.GatewayFixture;
import io.zkgate.gateway.support.LogCapture;
import io.zkgate.gateway.support.TestCertificates;
import io.zkgate.gateway.tls.FileReloads;
import io.zkgate.gateway.tls.PemFiles;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A route's {@code upstream.tls} client certificate rotated on disk (as cert-manager does, without touching the
 * route's znode) is picked up by the gateway's reload schedule on both engines, and a broken replacement keeps the
 * last good one.
 */
class UpstreamTlsReloadEndToEndTest {
    @TempDir
    Path dir;

    /**
     * A mutual-TLS backend with the test CA's server certificate that trusts only client certificates of
     * {@code clientCa}, and closes every connection after its answer, so each request is a new TLS handshake.
     */
    static Server mutualTlsBackend(KeyStore clientCa) throws Exception {
        SslContextFactory.Server ssl = UpstreamTlsEndToEndTest.backendTls();
        ssl.setTrustStore(clientCa);
        ssl.setNeedClientAuth(true);
        Server server = new Server();
        return UpstreamTlsEndToEndTest.serve(server, new ServerConnector(server, new SslConnectionFactory(ssl,
                "http/1.1"), new HttpConnectionFactory(UpstreamTlsEndToEndTest.secureHttp())), new Handler.Abstract() {
                    @Override
                    public boolean handle(Request request, Response response, Callback callback) {
                        response.getHeaders().put(HttpHeader.CONNECTION, "close");
                        response.write(true, ByteBuffer.wrap("mutual".getBytes(StandardCharsets.US_ASCII)), callback);
                        return true;
                    }
                });
    }

    @ParameterizedTest
    @ValueSource(strings = {"loop", "servlet"})
    void aClientCertificateRotatedOnDiskIsUsedWithoutARouteChangeAndABrokenOneKeepsTheLastGood(String engine)
            throws Exception {
        TestCertificates newCa = TestCertificates.in(dir);
        Server backend = mutualTlsBackend(PemFiles.trustStore(newCa.caPem()));
        Path cert = dir.resolve("tls.crt");
        Path key = dir.resolve("tls.key");
        // What the route points at first: a client certificate of the old CA, which the backend does not trust.
        Files.copy(tls("gateway-client.pem"), cert);
        Files.copy(tls("gateway-client.key.pem"), key);
        HttpClient client = new HttpClient();
        try (GatewayFixture f = new GatewayFixture("--engine", engine, "--tls-reload-interval-ms", "200")) {
            client.start();
            f.writer.registerTls("mtls", "1", 9, UpstreamTlsEndToEndTest.port(backend));
            f.writer.putRoute("mtls", "{\"id\":\"mtls\",\"match\":{\"pathPrefix\":\"/mtls\"},\"service\":\"mtls\","
                    + "\"upstream\":{\"tls\":{\"ca\":\"" + tls("ca.pem") + "\",\"clientCertificate\":\"" + cert
                    + "\",\"clientKey\":\"" + key + "\"}}}");
            String url = "http://127.0.0.1:" + f.port() + "/mtls/x";
            await().atMost(Duration.ofSeconds(10)).until(() -> client.GET(url).getStatus() != 404);
            ContentResponse refused = client.GET(url);
            assertEquals(502, refused.getStatus(), "the backend refuses the old CA's certificate: "
                    + refused.getContentAsString());

            newCa.issue("gateway-client").writeTo(cert, key);
            await().atMost(Duration.ofSeconds(10)).until(() -> client.GET(url).getStatus() == 200);
            assertEquals("mutual", client.GET(url).getContentAsString());

            try (LogCapture logs = new LogCapture(FileReloads.class.getName())) {
                Files.writeString(key, "not a key");
                Thread.sleep(1_500); // several reload intervals
                for (int i = 0; i < 3; i++) { // each a new handshake with the last good certificate
                    ContentResponse r = client.GET(url);
                    assertEquals(200, r.getStatus(), r.getContentAsString());
                }
                assertEquals(1, logs.messages().stream().filter(m -> m.contains("not reloaded")
                        && m.contains("upstream.tls.clientCertificate: " + key)).count(), logs.messages().toString());
            }
        } finally {
            client.stop();
            backend.stop();
        }
    }
}
