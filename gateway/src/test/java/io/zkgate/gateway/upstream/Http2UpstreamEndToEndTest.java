package io.zkgate.gateway.upstream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.gateway.support.GatewayFixture;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.StringRequestContent;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http2.client.HTTP2Client;
import org.eclipse.jetty.http2.client.transport.HttpClientTransportOverHTTP2;
import org.eclipse.jetty.http2.server.HTTP2CServerConnectionFactory;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.Test;

/** Routes with {@code upstream.protocol: "h2c"} reach HTTP/2-only backends, from HTTP/1.1 and HTTP/2 clients alike. */
class Http2UpstreamEndToEndTest {

    /** An h2c-only backend (no HTTP/1.1 at all) answering with the protocol it heard and the body it got. */
    static Server h2cBackend() throws Exception {
        Server server = new Server();
        return UpstreamTlsEndToEndTest.serve(server, new ServerConnector(server,
                new HTTP2CServerConnectionFactory(new HttpConfiguration())), protocolEcho());
    }

    /** Answers with the protocol it heard, the method and the body it got. */
    static Handler protocolEcho() {
        return new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                String body = Content.Source.asString(request, StandardCharsets.UTF_8);
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain");
                response.write(true, ByteBuffer.wrap((request.getConnectionMetaData().getProtocol() + " "
                        + request.getMethod() + " " + body).getBytes(StandardCharsets.UTF_8)), callback);
                return true;
            }
        };
    }

    static int port(Server server) {
        return ((ServerConnector) server.getConnectors()[0]).getLocalPort();
    }

    @Test
    void anH2cRouteSpeaksHttp2ToItsBackendForHttp1AndHttp2Clients() throws Exception {
        Server backend = h2cBackend();
        HttpClient http1 = new HttpClient();
        HttpClient http2 = new HttpClient(new HttpClientTransportOverHTTP2(new HTTP2Client()));
        try (GatewayFixture f = new GatewayFixture("--engine", "servlet", "--h2c")) {
            http1.start();
            http2.start();
            f.writer.register("h2", "1", port(backend), 1);
            f.writer.putRoute("h2", "{\"id\":\"h2\",\"match\":{\"pathPrefix\":\"/h2\"},\"service\":\"h2\","
                    + "\"upstream\":{\"protocol\":\"h2c\"}}");
            String url = "http://127.0.0.1:" + f.port() + "/h2/x";
            await().atMost(Duration.ofSeconds(10)).until(() -> http1.GET(url).getStatus() == 200);

            ContentResponse viaHttp1 = http1.POST(url).body(new StringRequestContent("from-1")).send();
            assertEquals("HTTP/2.0 POST from-1", viaHttp1.getContentAsString());

            ContentResponse viaHttp2 = http2.POST(url).body(new StringRequestContent("from-2")).send();
            assertEquals("HTTP/2.0", viaHttp2.getVersion().asString());
            assertEquals("HTTP/2.0 POST from-2", viaHttp2.getContentAsString());
        } finally {
            http1.stop();
            http2.stop();
            backend.stop();
        }
    }

    @Test
    void theLoopEngineRefusesAnH2cRouteClearlyRatherThanDowngrade() throws Exception {
        Server backend = h2cBackend();
        HttpClient http1 = new HttpClient();
        try (GatewayFixture f = new GatewayFixture("--engine", "loop")) {
            http1.start();
            f.writer.register("h2", "1", port(backend), 1);
            f.writer.putRoute("h2", "{\"id\":\"h2\",\"match\":{\"pathPrefix\":\"/h2\"},\"service\":\"h2\","
                    + "\"upstream\":{\"protocol\":\"h2c\"}}");
            String url = "http://127.0.0.1:" + f.port() + "/h2/x";
            await().atMost(Duration.ofSeconds(10)).until(() -> http1.GET(url).getStatus() != 404);

            ContentResponse r = http1.GET(url);
            assertEquals(502, r.getStatus());
            assertTrue(r.getContentAsString().contains("HTTP/2 (upstream.protocol h2c), which the loop engine does "
                    + "not speak"), r.getContentAsString());
        } finally {
            http1.stop();
            backend.stop();
        }
    }
}
