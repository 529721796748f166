package io.zkgate.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.gateway.support.GatewayFixture;
import io.zkgate.gateway.support.Http;
import io.zkgate.gateway.support.TestBackend;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A route's {@code timeouts.connectMs} bounds connecting to its backends, beating the gateway-wide default. The
 * backend that never completes a connection is a loopback listener whose accept queue is full and never drained:
 * Linux then drops further SYNs, so a connect hangs as it would towards a host that vanished.
 */
class ConnectTimeoutTest {

    @Test
    void aRoutesConnectTimeoutCutsAHangingConnectAndAnswers502() throws Exception {
        try (GatewayFixture f = new GatewayFixture("--upstream-connect-timeout-ms", "30000");
                BlackHole hole = new BlackHole()) {
            f.writer.register("hole", "1", hole.port(), 1);
            f.writer.putRoute("hole", "{\"id\":\"hole\",\"match\":{\"pathPrefix\":\"/hole\"},\"service\":\"hole\","
                    + "\"timeouts\":{\"connectMs\":300,\"responseMs\":60000}}");
            await().atMost(Duration.ofSeconds(10)).until(() -> Http.get(f.port(), "/hole/").statusCode() != 404);

            long start = System.nanoTime();
            HttpResponse<String> response = Http.get(f.port(), "/hole/x");
            long tookMs = (System.nanoTime() - start) / 1_000_000;
            assertEquals(502, response.statusCode(), response.body());
            assertTrue(response.body().contains("\"error\":\"upstream_unreachable\""), response.body());
            assertTrue(response.body().contains("\"route\":\"hole\""), response.body());
            assertTrue(tookMs >= 250, "answered after " + tookMs + " ms: the connect did not hang, so nothing was timed");
            assertTrue(tookMs < 10_000, "answered after " + tookMs + " ms: the route's 300 ms must beat the 30 s default");
        }
    }

    @Test
    void anUpstreamClientNoRouteUsesAnyMoreIsStoppedSoEditingConnectMsDoesNotPileUpClients() throws Exception {
        try (GatewayFixture f = new GatewayFixture("--engine", "servlet")) { // the servlet's HttpClients
            TestBackend backend = f.closeLater(TestBackend.start("ct"));
            f.writer.register("ct", "1", backend.port(), 1);
            for (int connectMs : new int[] {300, 400, 500, 600, 700}) {
                f.writer.putRoute("ct", "{\"id\":\"ct\",\"match\":{\"pathPrefix\":\"/ct\"},\"service\":\"ct\","
                        + "\"timeouts\":{\"connectMs\":" + connectMs + "}}");
                await().atMost(Duration.ofSeconds(10)).until(() -> f.gateway.snapshots().current().routes().entries()
                        .stream().anyMatch(e -> e.upstream().connectTimeoutMs() == connectMs));
                assertEquals(200, Http.get(f.port(), "/ct/").statusCode());
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> clients(f) == 2.0); // the default one and 700 ms
            f.writer.deleteRoute("ct");
            await().atMost(Duration.ofSeconds(20)).until(() -> clients(f) == 1.0);
        }
    }

    private static double clients(GatewayFixture f) {
        Double v = Http.metric(f.adminPort(), "zkgate_upstream_clients");
        return v == null ? -1 : v;
    }

    /** A listener with a backlog of one, filled up, so new connections to it hang in SYN-SENT. */
    private static final class BlackHole implements AutoCloseable {
        private final ServerSocket listener;
        private final List<Socket> queued = new ArrayList<>();

        BlackHole() throws Exception {
            listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
            for (int i = 0; i < 16; i++) {
                Socket s = new Socket();
                try {
                    s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), listener.getLocalPort()), 200);
                    queued.add(s);
                } catch (SocketTimeoutException full) {
                    s.close();
                    return;
                }
            }
            throw new IllegalStateException("the accept queue never filled up; connects to it would not hang");
        }

        int port() {
            return listener.getLocalPort();
        }

        @Override
        public void close() throws Exception {
            for (Socket s : queued) {
                s.close();
            }
            listener.close();
        }
    }
}
