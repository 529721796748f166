package io.zkgate.gateway.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.gateway.proxy.LazyTlsClientConnector;
import io.zkgate.gateway.support.TestBackend;
import io.zkgate.gateway.tls.PemFiles;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.junit.jupiter.api.Test;

/**
 * The gateway's own upstream clients start their TLS context on their first {@code https} backend, not with the
 * client, and still reach plain and TLS backends (a real Jetty client, a real HTTP backend and a real HTTPS one).
 */
class LazyTlsClientConnectorTest {
    @Test
    void theTlsContextStartsOnTheFirstHttpsBackendAndStopsWithTheClient() throws Exception {
        LazyTlsClientConnector connector = new LazyTlsClientConnector();
        SslContextFactory.Client tls = connector.getSslContextFactory();
        tls.setTrustStore(PemFiles.trustStore(UpstreamTlsEndToEndTest.tls("ca.pem")));
        HttpClient client = new HttpClient(new HttpClientTransportOverHTTP(connector));
        Server https = UpstreamTlsEndToEndTest.httpsBackend(false);
        try (TestBackend plain = TestBackend.start("plain")) {
            client.start();
            assertTrue(client.isStarted());
            assertFalse(tls.isStarted(), "no TLS context loaded with the client");

            ContentResponse overHttp = client.GET("http://127.0.0.1:" + plain.port() + "/");
            assertEquals(200, overHttp.getStatus());
            assertFalse(tls.isStarted(), "a plain backend loads none either");

            ContentResponse overHttps = client.newRequest("https://localhost:" + UpstreamTlsEndToEndTest.port(https)
                    + "/").timeout(30, TimeUnit.SECONDS).send();
            assertEquals(200, overHttps.getStatus());
            assertEquals("secure true", overHttps.getContentAsString());
            assertTrue(tls.isStarted(), "started for the first https backend");
        } finally {
            client.stop();
            https.stop();
        }
        assertFalse(tls.isStarted(), "stopped with the client");
    }

    @Test
    void aTlsContextThatCannotLoadFailsTheHttpsRequestNotTheClient() throws Exception {
        LazyTlsClientConnector connector = new LazyTlsClientConnector();
        connector.getSslContextFactory().setTrustStorePath(UpstreamTlsEndToEndTest.tls("ca.pem").toString()); // PEM, read as PKCS12: unloadable
        HttpClient client = new HttpClient(new HttpClientTransportOverHTTP(connector));
        Server https = UpstreamTlsEndToEndTest.httpsBackend(false);
        try (TestBackend plain = TestBackend.start("plain")) {
            client.start();
            assertEquals(200, client.GET("http://127.0.0.1:" + plain.port() + "/").getStatus());
            Exception failure = null;
            try {
                client.newRequest("https://localhost:" + UpstreamTlsEndToEndTest.port(https) + "/")
                        .timeout(30, TimeUnit.SECONDS).send();
            } catch (Exception e) {
                failure = e;
            }
            assertTrue(failure != null && String.valueOf(failure.getMessage()).contains("TLS context"),
                    "the https request failed at once, saying why: " + failure);
            assertEquals(200, client.GET("http://127.0.0.1:" + plain.port() + "/").getStatus(),
                    "plain backends still served");
        } finally {
            client.stop();
            https.stop();
        }
    }
}
