package io.zkgate.gateway.upstream;

import static io.zkgate.gateway.upstream.UpstreamTlsEndToEndTest.tls;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.zkgate.gateway.support.GatewayFixture;
import io.zkgate.gateway.tls.PemFiles;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.eclipse.jetty.alpn.server.ALPNServerConnectionFactory;
import org.eclipse.jetty.http2.server.HTTP2ServerConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A route with {@code upstream.protocol: "h2"} and {@code upstream.tls} to an HTTP/2-over-TLS backend (Jetty's HTTP/2
 * server, ALPN offering h2 only, a certificate of the test CA): an HTTP/2 client on the gateway's TLS port gets the
 * backend's answer over HTTP/2 from end to end, on the servlet engine and on the default engine, whose HTTP/2 front
 * door (h2 chosen by ALPN on {@code --tls-port}) hands such requests to the servlet front door.
 */
class Http2TlsUpstreamEndToEndTest {
    /** An HTTP/2-over-TLS-only backend (ALPN h2, no HTTP/1.1) answering with what it heard. */
    static Server h2Backend() throws Exception {
        HTTP2ServerConnectionFactory h2 = new HTTP2ServerConnectionFactory(UpstreamTlsEndToEndTest.secureHttp());
        ALPNServerConnectionFactory alpn = new ALPNServerConnectionFactory("h2");
        alpn.setDefaultProtocol("h2");
        Server server = new Server();
        return UpstreamTlsEndToEndTest.serve(server, new ServerConnector(server, new SslConnectionFactory(
                UpstreamTlsEndToEndTest.backendTls(), alpn.getProtocol()), alpn, h2),
                Http2UpstreamEndToEndTest.protocolEcho());
    }

    /** A JDK client context trusting the test CA (which signed the gateway's and the backend's certificates). */
    static SSLContext trustingTestCa() throws Exception {
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(PemFiles.trustStore(tls("ca.pem")));
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), null);
        return context;
    }

    @ParameterizedTest
    @ValueSource(strings = {"loop", "servlet"})
    void anHttp2ClientOverTlsReachesAnH2BackendOverTlsWithHttp2AtBothHops(String engine) throws Exception {
        Server backend = h2Backend();
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).sslContext(trustingTestCa())
                .connectTimeout(Duration.ofSeconds(5)).build();
        try (GatewayFixture f = new GatewayFixture("--engine", engine, "--tls-port", "0",
                "--tls-cert", tls("backend.pem").toString(), "--tls-key", tls("backend.key.pem").toString())) {
            // The plain port is a closed one: only the TLS port (ALPN h2) can answer.
            f.writer.registerTls("h2tls", "1", 9, UpstreamTlsEndToEndTest.port(backend));
            f.writer.putRoute("h2tls", "{\"id\":\"h2tls\",\"match\":{\"pathPrefix\":\"/h2tls\"},\"service\":\"h2tls\","
                    + "\"upstream\":{\"protocol\":\"h2\",\"tls\":{\"ca\":\"" + tls("ca.pem") + "\"}}}");
            URI uri = URI.create("https://localhost:" + f.gateway.tlsPort() + "/h2tls/x");
            await().atMost(Duration.ofSeconds(10)).until(() -> client.send(HttpRequest.newBuilder(uri).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode() == 200);

            HttpResponse<String> r = client.send(HttpRequest.newBuilder(uri)
                    .POST(HttpRequest.BodyPublishers.ofString("over-h2")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            assertEquals(HttpClient.Version.HTTP_2, r.version(), "client to gateway");
            assertEquals("HTTP/2.0 POST over-h2", r.body(), "gateway to backend");
        } finally {
            backend.stop();
        }
    }
}
