package io.zkgate.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.zkgate.gateway.support.GatewayFixture;
import io.zkgate.gateway.support.RawHttp;
import io.zkgate.gateway.support.ScriptedBackend;
import io.zkgate.gateway.support.ScriptedBackend.Received;
import io.zkgate.gateway.support.ScriptedBackend.Reply;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A route's preserveHost forwards the client's Host; by default the backend gets its own address. */
class PreserveHostEndToEndTest {

    @Test
    void aRouteWithPreserveHostForwardsTheClientsHostAndOthersTheBackendsAddress() throws Exception {
        try (GatewayFixture f = new GatewayFixture()) {
            ScriptedBackend backend = f.closeLater(ScriptedBackend.start(
                    r -> Reply.keepAlive("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")));
            f.writer.register("h", "1", backend.port(), 1);
            f.writer.putRoute("keep", "{\"id\":\"keep\",\"match\":{\"pathPrefix\":\"/keep\"},\"service\":\"h\","
                    + "\"preserveHost\":true}");
            f.writer.putRoute("plain", "{\"id\":\"plain\",\"match\":{\"pathPrefix\":\"/plain\"},\"service\":\"h\"}");
            await().atMost(Duration.ofSeconds(10)).until(() -> RawHttp.status(get(f, "/keep/x")) == 200
                    && RawHttp.status(get(f, "/plain/x")) == 200);
            get(f, "/keep/y");
            get(f, "/plain/y");
            List<Received> received = backend.received();
            Received keep = received.stream().filter(r -> r.requestLine().contains("/keep/y")).findFirst().orElseThrow();
            Received plain = received.stream().filter(r -> r.requestLine().contains("/plain/y")).findFirst()
                    .orElseThrow();
            assertEquals("api.example.com:8443", keep.header("Host"));
            assertEquals("127.0.0.1:" + backend.port(), plain.header("Host"));
            assertEquals("api.example.com:8443", plain.header("X-Forwarded-Host"));
        }
    }

    private static String get(GatewayFixture f, String path) throws Exception {
        return RawHttp.exchange(f.port(), "GET " + path + " HTTP/1.1\r\nHost: api.example.com:8443\r\n"
                + "Connection: close\r\n\r\n");
    }
}
