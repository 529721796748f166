package io.zkgate.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.gateway.support.GatewayFixture;
import io.zkgate.gateway.support.Http;
import io.zkgate.gateway.support.RefusedPort;
import io.zkgate.gateway.support.ScriptedBackend;
import io.zkgate.gateway.support.ScriptedBackend.Reply;
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
            f.awaitRoutable("stale", 2);

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

    /**
     * A request whose stale pooled connection and fresh one to its first backend both failed is retried on the other
     * backend, and a stale pooled connection met there is replaced by a fresh one too: the allowance is per backend
     * tried, not per request (a backend killed under load met its requests this way, and one GET in a thousand got a
     * 502 from the healthy backend's idle-closed connection).
     */
    @Test
    void aRetryOnAnotherBackendAlsoReplacesAStalePooledConnectionThere() throws Exception {
        try (GatewayFixture f = new GatewayFixture("--outlier-consecutive-failures", "0")) {
            // "dying" answers one request on its first connection, then closes every connection without a byte;
            // "closing" answers the first request of each connection and closes on the second, as an idle timeout.
            ScriptedBackend dying = f.closeLater(ScriptedBackend.start(r -> r.connection() == 1
                    && r.sequence() == 1 ? Reply.keepAlive("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\ndying")
                    : new Reply("", true)));
            ScriptedBackend closing = f.closeLater(ScriptedBackend.start(r -> r.sequence() == 1
                    ? Reply.keepAlive("HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nclosing")
                    : new Reply("", true)));
            f.writer.register("stale2", "dying", dying.port(), 1);
            f.writer.register("stale2", "closing", closing.port(), 1);
            f.writer.putRoute("stale2", "{\"id\":\"stale2\",\"match\":{\"pathPrefix\":\"/stale2\"},"
                    + "\"service\":\"stale2\",\"lb\":{\"policy\":\"round_robin\"}}");
            f.awaitRoutable("stale2", 2);

            List<String> answers = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                var r = Http.get(f.port(), "/stale2/" + i);
                answers.add(r.statusCode() + " " + r.body());
            }

            assertEquals(1, answers.stream().filter(a -> a.equals("200 dying")).count(), answers.toString());
            assertEquals(7, answers.stream().filter(a -> a.equals("200 closing")).count(), answers.toString());
            assertTrue(dying.connections() >= 3, "requests met the dying backend's pooled and fresh connections: "
                    + dying.connections());
            assertTrue(closing.received().size() > closing.connections(),
                    "retries met pooled connections the other backend then closed");
        }
    }
}
