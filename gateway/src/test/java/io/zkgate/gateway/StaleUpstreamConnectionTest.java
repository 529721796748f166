package io.zkgate.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.gateway.routing.ServicePool;
import io.zkgate.gateway.support.GatewayFixture;
import io.zkgate.gateway.support.Http;
import io.zkgate.gateway.support.RefusedPort;
import io.zkgate.gateway.support.ScriptedBackend;
import io.zkgate.gateway.support.ScriptedBackend.Reply;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/**
 * A pooled upstream connection the backend closed as it was taken (the race every keep-alive pool has with a
 * backend's idle timeout) costs the request nothing: either engine resends it on a fresh connection to the same
 * backend, without spending the route's retry on it.
 */
class StaleUpstreamConnectionTest {
    @Test
    void aPooledConnectionTheBackendClosedIsReplacedByAFreshOneToTheSameBackendWithoutSpendingTheRetry()
            throws Exception {
        try (GatewayFixture f = new GatewayFixture("--outlier-consecutive-failures", "0")) {
            // Each connection answers its first request and closes on its second without a byte, as a backend
            // whose idle timeout fired just as the gateway reused the connection.
            Set<Integer> served = ConcurrentHashMap.newKeySet();
            ScriptedBackend closing = f.closeLater(ScriptedBackend.start(r -> served.add(r.connection())
                    ? Reply.keepAlive("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                    : new Reply("", true)));
            f.writer.register("stale", "closing", closing.port(), 4);
            f.writer.register("stale", "dead", f.closeLater(new RefusedPort()).port(), 1);
            f.writer.putRoute("stale", "{\"id\":\"stale\",\"match\":{\"pathPrefix\":\"/stale\"},\"service\":\"stale\","
                    + "\"lb\":{\"policy\":\"weighted_round_robin\"}}");
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                ServicePool pool = f.gateway.snapshots().current().services().get("stale");
                return pool != null && pool.routable().length == 2;
            });

            List<Integer> statuses = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                statuses.add(Http.get(f.port(), "/stale/" + i).statusCode());
            }

            assertEquals(List.of(200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200), statuses,
                    "no request fails, though every reused connection is closed and the other backend is down");
            long closedUnanswered = closing.received().size() - closing.connections();
            assertTrue(closedUnanswered >= 1, "the test made the gateway reuse a connection the backend then closed");
            assertEquals(12 + closedUnanswered, closing.received().size(),
                    "each request reached the live backend once more per closed reused connection, never more");
        }
    }

}
