package io.zkgate.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.gateway.routing.Decision;
import io.zkgate.gateway.routing.ErrorResponse;
import io.zkgate.gateway.routing.HeaderEdits;
import io.zkgate.gateway.routing.RouteEntry;
import io.zkgate.gateway.routing.RouteGuard;
import io.zkgate.gateway.routing.RouteTable;
import io.zkgate.gateway.routing.Snapshot;
import io.zkgate.gateway.support.GatewayFixture;
import io.zkgate.gateway.support.RawHttp;
import io.zkgate.gateway.support.ScriptedBackend;
import io.zkgate.gateway.support.ScriptedBackend.Received;
import io.zkgate.gateway.support.ScriptedBackend.Reply;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A route's guards act through the front door the same way whatever it is: a refusal carries the guard's headers,
 * a gateway reply goes out without contacting the backend, and a forwarded request gets the guard's upstream and
 * response header edits.
 */
class RouteGuardEndToEndTest {
    private static final RouteGuard GUARD = (request, route, headers) -> {
        if (request.header("X-Block") != null) {
            return new Decision.Refuse(route, ErrorResponse.NOT_READY, "blocked by the guard",
                    headers.setResponse("Retry-After", "7"));
        }
        if ("OPTIONS".equals(request.method())) {
            return new Decision.Reply(route, 204, headers.setResponse("Access-Control-Max-Age", "600"));
        }
        headers.setUpstream("X-User-Id", "u1").removeUpstream("Authorization")
                .setResponse("X-Policy", "gateway").addResponse("Vary", "Origin");
        return null;
    };

    @Test
    void aGuardRefusesRepliesOrEditsHeadersBothWays() throws Exception {
        try (GatewayFixture f = new GatewayFixture()) {
            ScriptedBackend backend = f.closeLater(ScriptedBackend.start(r -> Reply.keepAlive(
                    "HTTP/1.1 200 OK\r\nX-Policy: backend\r\nVary: Accept-Encoding\r\nContent-Length: 2\r\n\r\nok")));
            f.writer.register("g", "1", backend.port(), 1);
            f.writer.putRoute("g", "{\"id\":\"g\",\"match\":{\"pathPrefix\":\"/g\"},\"service\":\"g\"}");
            await().atMost(Duration.ofSeconds(10)).until(() -> RawHttp.status(get(f, "/g/x", "")) == 200);
            Snapshot current = f.gateway.snapshots().current();
            RouteEntry real = current.routes().entries().get(0);
            RouteEntry guarded = new RouteEntry(real.route(), real.znodeVersion(), real.balancer(), real.upstream(),
                    real.metrics(), real.script(), List.of(GUARD));
            f.gateway.snapshots().publish(new Snapshot(current.version() + 1, RouteTable.of(List.of(guarded)),
                    current.services(), true, current.routesZxid()));
            int before = backend.received().size();

            String refused = get(f, "/g/x", "X-Block: 1\r\n");
            assertEquals(503, RawHttp.status(refused));
            assertTrue(refused.contains("Retry-After: 7"), refused);
            assertTrue(refused.contains("\"error\":\"not_ready\""), refused);

            String reply = RawHttp.exchange(f.port(), "OPTIONS /g/x HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
            assertEquals(204, RawHttp.status(reply));
            assertTrue(reply.contains("Access-Control-Max-Age: 600"), reply);
            assertEquals(before, backend.received().size(), "refusals and replies never reach the backend");

            String forwarded = get(f, "/g/y", "Authorization: Bearer secret\r\nX-User-Id: forged\r\n");
            assertEquals(200, RawHttp.status(forwarded));
            assertTrue(forwarded.contains("X-Policy: gateway"), forwarded);
            assertTrue(!forwarded.contains("X-Policy: backend"), forwarded);
            assertTrue(forwarded.contains("Vary: Accept-Encoding"), forwarded);
            assertTrue(forwarded.contains("Vary: Origin"), forwarded);
            Received seen = backend.received().get(backend.received().size() - 1);
            assertTrue(seen.requestLine().contains("/g/y"), seen.requestLine());
            assertEquals("u1", seen.header("X-User-Id"));
            assertNull(seen.header("Authorization"));
            f.gateway.snapshots().publish(current);
        }
    }

    private static String get(GatewayFixture f, String path, String headers) throws Exception {
        return RawHttp.exchange(f.port(), "GET " + path + " HTTP/1.1\r\nHost: h\r\n" + headers
                + "Connection: close\r\n\r\n");
    }
}
