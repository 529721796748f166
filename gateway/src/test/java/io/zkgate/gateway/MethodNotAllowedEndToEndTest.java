package io.zkgate.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.gateway.support.GatewayFixture;
import io.zkgate.gateway.support.RawHttp;
import io.zkgate.gateway.support.TestBackend;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A path a route serves, asked with a method the route does not take: 405 with Allow, in the contract's JSON. */
class MethodNotAllowedEndToEndTest {

    @Test
    void aMethodTheRouteDoesNotTakeGets405WithAnAllowHeaderNot404() throws Exception {
        try (GatewayFixture f = new GatewayFixture()) {
            TestBackend backend = f.closeLater(TestBackend.start("ro"));
            f.writer.register("ro", "1", backend.port(), 1);
            f.writer.putRoute("ro", "{\"id\":\"ro\",\"match\":{\"pathPrefix\":\"/ro\",\"methods\":[\"GET\"]},"
                    + "\"service\":\"ro\"}");
            await().atMost(Duration.ofSeconds(10)).until(() -> RawHttp.status(
                    RawHttp.exchange(f.port(), "GET /ro/x HTTP/1.1\r\nHost: gw\r\n\r\n")) == 200);
            int hits = backend.hits();
            String r = RawHttp.exchange(f.port(), "DELETE /ro/x HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n");
            assertEquals(405, RawHttp.status(r), r);
            assertTrue(r.contains("Allow: GET\r\n"), r);
            assertTrue(RawHttp.body(r).contains("\"error\":\"method_not_allowed\""), r);
            assertEquals(hits, backend.hits(), "the backend never saw it");
            String none = RawHttp.exchange(f.port(), "DELETE /elsewhere HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n");
            assertEquals(404, RawHttp.status(none), none);
        }
    }
}
