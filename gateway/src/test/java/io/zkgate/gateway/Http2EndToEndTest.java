package io.zkgate.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.gateway.support.GatewayFixture;
import io.zkgate.gateway.support.Http;
import io.zkgate.gateway.support.RefusedPort;
import io.zkgate.gateway.support.ScriptedBackend.Reply;
import io.zkgate.gateway.support.ScriptedBackend;
import io.zkgate.gateway.support.TestCertificates;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.http2.client.HTTP2Client;
import org.eclipse.jetty.http2.client.transport.HttpClientTransportOverHTTP2;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTP/2 clients at the front, proxied to HTTP/1.1 backends through the shared router: h2 by ALPN on the TLS port
 * (the JDK's HttpClient) and h2c with prior knowledge on the plain port (Jetty's HTTP/2 client), with route
 * matching, round-robin balancing, retries on another backend and request metrics working as for HTTP/1.1.
 */
class Http2EndToEndTest {

    @TempDir
    Path dir;

    @Test
    void anH2ClientOverTlsReachesHttp11BackendsWithMatchingBalancingRetriesAndMetrics() throws Exception {
        TestCertificates ca = TestCertificates.in(dir);
        ca.issue("localhost").writeTo(dir.resolve("l.pem"), dir.resolve("l.key"));
        try (GatewayFixture f = new GatewayFixture("--tls-port", "0", "--tls-cert", dir.resolve("l.pem").toString(),
                "--tls-key", dir.resolve("l.key").toString())) {
            ScriptedBackend one = f.closeLater(backend("b1"));
            ScriptedBackend two = f.closeLater(backend("b2"));
            routeWithADeadBackend(f, one, two);
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2)
                    .sslContext(ca.clientContext()).connectTimeout(Duration.ofSeconds(5)).build();
            URI base = URI.create("https://localhost:" + f.gateway.tlsPort());
            await().atMost(Duration.ofSeconds(10)).until(() -> send(client, base.resolve("/h2/x")).statusCode() == 200);

            Set<String> bodies = new HashSet<>();
            for (int i = 0; i < 12; i++) {
                HttpResponse<String> response = send(client, base.resolve("/h2/" + i));
                assertEquals(HttpClient.Version.HTTP_2, response.version());
                assertEquals(200, response.statusCode(), response.body()); // the dead backend's picks were retried
                bodies.add(response.body());
            }
            assertEquals(Set.of("b1", "b2"), bodies);
            HttpResponse<String> none = send(client, base.resolve("/nope"));
            assertEquals(404, none.statusCode());
            assertTrue(none.body().contains("\"error\":\"no_route\""), none.body());

            ScriptedBackend.Received received = one.received().get(one.received().size() - 1);
            assertEquals("https", received.header("X-Forwarded-Proto"));
            assertTrue(received.requestLine().endsWith("HTTP/1.1"), received.requestLine());
            Double counted = Http.metric(f.adminPort(),
                    "zkgate_requests_total{route=\"h2\",method=\"GET\",status=\"2xx\"}");
            assertTrue(counted != null && counted >= 12, "" + counted);
            Double retried = Http.metric(f.adminPort(), "zkgate_retries_total{route=\"h2\"}");
            assertTrue(retried != null && retried >= 1, "" + retried);
        }
    }

    @Test
    void anH2cClientWithPriorKnowledgeIsServedOnThePlainPortBesideHttp11() throws Exception {
        try (GatewayFixture f = new GatewayFixture("--h2c")) {
            ScriptedBackend one = f.closeLater(backend("b1"));
            ScriptedBackend two = f.closeLater(backend("b2"));
            routeWithADeadBackend(f, one, two);
            await().atMost(Duration.ofSeconds(10)).until(() -> Http.get(f.port(), "/h2/x").statusCode() == 200);

            org.eclipse.jetty.client.HttpClient h2c = new org.eclipse.jetty.client.HttpClient(
                    new HttpClientTransportOverHTTP2(new HTTP2Client()));
            h2c.start();
            try {
                Set<String> bodies = new HashSet<>();
                for (int i = 0; i < 12; i++) {
                    ContentResponse response = h2c.GET("http://127.0.0.1:" + f.port() + "/h2/" + i);
                    assertEquals(HttpVersion.HTTP_2, response.getVersion());
                    assertEquals(200, response.getStatus(), response.getContentAsString());
                    bodies.add(response.getContentAsString());
                }
                assertEquals(Set.of("b1", "b2"), bodies);
                ContentResponse none = h2c.GET("http://127.0.0.1:" + f.port() + "/nope");
                assertEquals(404, none.getStatus());
                assertTrue(none.getContentAsString().contains("\"error\":\"no_route\""));
            } finally {
                h2c.stop();
            }
            HttpResponse<String> http11 = Http.get(f.port(), "/h2/y");
            assertEquals(200, http11.statusCode());
            assertEquals(HttpClient.Version.HTTP_1_1, http11.version());
            assertEquals("http", one.received().get(one.received().size() - 1).header("X-Forwarded-Proto"));
            Double counted = Http.metric(f.adminPort(),
                    "zkgate_requests_total{route=\"h2\",method=\"GET\",status=\"2xx\"}");
            assertTrue(counted != null && counted >= 13, "" + counted);
        }
    }

    private static ScriptedBackend backend(String name) throws Exception {
        return ScriptedBackend.start(r -> Reply.keepAlive("HTTP/1.1 200 OK\r\nContent-Length: " + name.length()
                + "\r\n\r\n" + name));
    }

    /** Route h2 over two live backends and one that refuses connections; the route retries once elsewhere. */
    private static void routeWithADeadBackend(GatewayFixture f, ScriptedBackend one, ScriptedBackend two)
            throws Exception {
        f.writer.register("h2", "1", one.port(), 1);
        f.writer.register("h2", "2", two.port(), 1);
        f.writer.register("h2", "3", f.closeLater(new RefusedPort()).port(), 1);
        f.writer.putRoute("h2", "{\"id\":\"h2\",\"match\":{\"pathPrefix\":\"/h2\"},\"service\":\"h2\","
                + "\"retries\":{\"attempts\":1}}");
        f.awaitSynced();
    }

    private static HttpResponse<String> send(HttpClient client, URI uri) throws Exception {
        return client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
