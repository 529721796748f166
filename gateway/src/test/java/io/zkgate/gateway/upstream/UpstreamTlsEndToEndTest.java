package io.zkgate.gateway.upstream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.gateway.support.GatewayFixture;
import io.zkgate.gateway.tls.PemFiles;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Routes with {@code upstream.tls}: HTTPS and mutual-TLS backends on their sslPort, verification on, both engines. */
class UpstreamTlsEndToEndTest {
    private static final String PASSWORD = "test-only";

    static Path tls(String name) throws Exception {
        return Path.of(UpstreamTlsEndToEndTest.class.getResource("/tls/" + name).toURI());
    }

    /** An HTTPS backend with the test CA's certificate; with {@code needClientAuth} it wants one the test CA signed. */
    static Server httpsBackend(boolean needClientAuth) throws Exception {
        SslContextFactory.Server ssl = backendTls();
        if (needClientAuth) {
            ssl.setTrustStore(PemFiles.trustStore(tls("ca.pem")));
            ssl.setNeedClientAuth(true);
        }
        Server server = new Server();
        return serve(server, new ServerConnector(server, new SslConnectionFactory(ssl, "http/1.1"),
                new HttpConnectionFactory(secureHttp())), new Handler.Abstract() {
                    @Override
                    public boolean handle(Request request, Response response, Callback callback) {
                        response.write(true, ByteBuffer.wrap(("secure " + request.isSecure())
                                .getBytes(StandardCharsets.UTF_8)), callback);
                        return true;
                    }
                });
    }

    /** A backend's server side of TLS: the test CA's certificate for backend.test, localhost and 127.0.0.1. */
    static SslContextFactory.Server backendTls() throws Exception {
        SslContextFactory.Server ssl = new SslContextFactory.Server();
        ssl.setKeyStore(PemFiles.keyStore(tls("backend.pem"), tls("backend.key.pem"), PASSWORD.toCharArray()));
        ssl.setKeyStorePassword(PASSWORD);
        ssl.setKeyManagerPassword(PASSWORD);
        return ssl;
    }

    /** A TLS backend's HTTP configuration: requests are secure, whatever SNI name the gateway sent. */
    static HttpConfiguration secureHttp() {
        HttpConfiguration http = new HttpConfiguration();
        SecureRequestCustomizer secure = new SecureRequestCustomizer();
        secure.setSniHostCheck(false);
        http.addCustomizer(secure);
        return http;
    }

    /** Starts {@code server} with {@code connector} on 127.0.0.1 and {@code handler}. */
    static Server serve(Server server, ServerConnector connector, Handler handler) throws Exception {
        connector.setHost("127.0.0.1");
        server.addConnector(connector);
        server.setHandler(handler);
        server.start();
        return server;
    }

    static int port(Server server) {
        return ((ServerConnector) server.getConnectors()[0]).getLocalPort();
    }

    private static String route(String id, String tls) {
        return "{\"id\":\"" + id + "\",\"match\":{\"pathPrefix\":\"/" + id + "\"},\"service\":\"" + id + "\","
                + "\"upstream\":{\"tls\":" + tls + "}}";
    }

    @ParameterizedTest
    @ValueSource(strings = {"loop", "servlet"})
    void anHttpsBackendIsReachedOnItsSslPortWhenItsCertificateChainsToTheRoutesCa(String engine) throws Exception {
        Server backend = httpsBackend(false);
        HttpClient client = new HttpClient();
        try (GatewayFixture f = new GatewayFixture("--engine", engine)) {
            client.start();
            // The plain port is a closed one: only the sslPort can answer.
            f.writer.registerTls("trusted", "1", 9, port(backend));
            f.writer.putRoute("trusted", route("trusted", "{\"ca\":\"" + tls("ca.pem") + "\"}"));
            f.writer.registerTls("unknown", "1", 9, port(backend));
            f.writer.putRoute("unknown", route("unknown", "{\"ca\":\"" + tls("other-ca.pem") + "\"}"));
            f.writer.registerTls("jvmcas", "1", 9, port(backend));
            f.writer.putRoute("jvmcas", route("jvmcas", "{}"));
            String base = "http://127.0.0.1:" + f.port();
            await().atMost(Duration.ofSeconds(10)).until(() -> client.GET(base + "/trusted").getStatus() == 200);

            assertEquals("secure true", client.GET(base + "/trusted").getContentAsString());
            assertEquals("secure true", client.GET(base + "/trusted").getContentAsString(), "a pooled TLS connection");

            for (String refused : new String[] {"/unknown", "/jvmcas"}) {
                ContentResponse r = client.GET(base + refused);
                assertEquals(502, r.getStatus(), refused);
                assertTrue(r.getContentAsString().contains("\"error\":\"upstream_unreachable\""), r.getContentAsString());
                assertTrue(r.getContentAsString().contains("PKIX path building failed"), r.getContentAsString());
                assertTrue(r.getContentAsString().contains("127.0.0.1:" + port(backend)), "names the TLS port");
            }
        } finally {
            client.stop();
            backend.stop();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"loop", "servlet"})
    void aMutualTlsBackendRefusesAGatewayWithoutItsCertificateAndAcceptsItWithIt(String engine) throws Exception {
        Server backend = httpsBackend(true);
        HttpClient client = new HttpClient();
        try (GatewayFixture f = new GatewayFixture("--engine", engine)) {
            client.start();
            f.writer.registerTls("anon", "1", 9, port(backend));
            f.writer.putRoute("anon", route("anon", "{\"ca\":\"" + tls("ca.pem") + "\"}"));
            f.writer.registerTls("mtls", "1", 9, port(backend));
            f.writer.putRoute("mtls", route("mtls", "{\"ca\":\"" + tls("ca.pem") + "\",\"serverName\":\"backend.test\","
                    + "\"clientCertificate\":\"" + tls("gateway-client.pem") + "\",\"clientKey\":\""
                    + tls("gateway-client.key.pem") + "\"}"));
            String base = "http://127.0.0.1:" + f.port();
            await().atMost(Duration.ofSeconds(10)).until(() -> client.GET(base + "/mtls").getStatus() == 200);

            assertEquals("secure true", client.GET(base + "/mtls").getContentAsString());
            ContentResponse anon = client.GET(base + "/anon");
            assertEquals(502, anon.getStatus(), anon.getContentAsString());
            assertTrue(anon.getContentAsString().contains("upstream_unreachable"), anon.getContentAsString());
        } finally {
            client.stop();
            backend.stop();
        }
    }

    @Test
    void aRouteWhoseTlsFileCannotBeReadIsRefusedNamingFieldAndFile() throws Exception {
        Server backend = httpsBackend(false);
        HttpClient client = new HttpClient();
        try (GatewayFixture f = new GatewayFixture("--engine", "loop")) {
            client.start();
            f.writer.registerTls("tls", "1", 9, port(backend));
            f.writer.putRoute("missing", "{\"id\":\"missing\",\"match\":{\"pathPrefix\":\"/missing\"},\"service\":\"tls\","
                    + "\"upstream\":{\"tls\":{\"ca\":\"/no/such/ca.pem\"}}}");
            f.writer.putRoute("tls", route("tls", "{\"ca\":\"" + tls("ca.pem") + "\"}"));
            String base = "http://127.0.0.1:" + f.port();
            await().atMost(Duration.ofSeconds(10)).until(() -> client.GET(base + "/tls").getStatus() == 200);

            assertEquals(404, client.GET(base + "/missing").getStatus(), "a route with an unreadable CA is not served");
            String routes = client.GET("http://127.0.0.1:" + f.adminPort() + "/admin/routes").getContentAsString();
            assertTrue(routes.contains("upstream.tls.ca: /no/such/ca.pem: no such file"), routes);
        } finally {
            client.stop();
            backend.stop();
        }
    }
}
