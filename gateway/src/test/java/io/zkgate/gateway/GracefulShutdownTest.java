package io.zkgate.gateway;

import static io.zkgate.gateway.support.ZkWriter.route;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.gateway.support.GatewayFixture;
import io.zkgate.gateway.support.Http;
import io.zkgate.gateway.support.TestBackend;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class GracefulShutdownTest {
    @Test
    void closingLetsAnInFlightRequestFinishAndThenStopsAccepting() throws Exception {
        try (GatewayFixture f = new GatewayFixture()) {
            TestBackend slow = f.closeLater(TestBackend.slow("slow", 1500));
            f.writer.register("slow", "1", slow.port(), 1);
            f.writer.putRoute("slow", route("slow", "/slow", "slow"));
            await().atMost(Duration.ofSeconds(10)).until(() -> Http.get(f.port(), "/slow").statusCode() == 200);

            int port = f.port();
            HttpClient client = HttpClient.newHttpClient();
            CompletableFuture<HttpResponse<String>> inFlight = client.sendAsync(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/slow/last")).build(),
                    HttpResponse.BodyHandlers.ofString());
            await().atMost(Duration.ofSeconds(5)).until(() -> slow.hits() >= 2);

            f.gateway.close();

            HttpResponse<String> r = inFlight.get(10, TimeUnit.SECONDS);
            assertEquals(200, r.statusCode());
            assertEquals("slow /slow/last\n", r.body());
            assertThrows(IOException.class, () -> new Socket("127.0.0.1", port).close(), "no longer accepting");
        }
    }

    @Test
    void aGatewayWhoseZooKeeperIsDownStillStopsPromptly() throws Exception {
        try (GatewayFixture f = new GatewayFixture()) {
            f.awaitSynced();
            f.zk.stop();
            long t0 = System.nanoTime();
            f.gateway.close();
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms < 15_000,
                    "close took " + ms + " ms with ZooKeeper down; it must not wait on retries to remove its node");
        }
    }

    @Test
    void withAShutdownDelayReadyTurns503WhileRequestsAreStillServedThenTheGatewayStops() throws Exception {
        try (GatewayFixture f = new GatewayFixture("--shutdown-delay-ms", "5000")) {
            TestBackend backend = f.closeLater(TestBackend.start("delay"));
            f.writer.register("delay", "1", backend.port(), 1);
            f.writer.putRoute("delay", route("delay", "/delay", "delay"));
            await().atMost(Duration.ofSeconds(10)).until(() -> Http.get(f.port(), "/delay").statusCode() == 200
                    && Http.get(f.adminPort(), "/ready").statusCode() == 200);

            int port = f.port();
            CompletableFuture<Void> closing = CompletableFuture.runAsync(f.gateway::close);
            await().atMost(Duration.ofSeconds(2)).until(() -> Http.get(f.adminPort(), "/ready").statusCode() == 503);
            assertTrue(Http.get(f.adminPort(), "/ready").body().contains("draining"));
            assertEquals(200, Http.get(port, "/delay").statusCode(), "still serving while draining");
            closing.get(30, TimeUnit.SECONDS);
            assertThrows(IOException.class, () -> new Socket("127.0.0.1", port).close(), "stopped after the delay");
        }
    }
}
