package io.zkgate.gateway;

import static io.zkgate.gateway.support.Http.sample;
import static io.zkgate.gateway.support.ZkWriter.route;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.gateway.support.GatewayFixture;
import io.zkgate.gateway.support.Http;
import io.zkgate.gateway.support.TestBackend;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MetricsEndToEndTest {
    @Test
    void metricsCountExactlyTheTrafficSentWithPrometheusNamesAndLabels() throws Exception {
        try (GatewayFixture f = new GatewayFixture()) {
            TestBackend a = f.closeLater(TestBackend.start("met-a"));
            TestBackend b = f.closeLater(TestBackend.start("met-b"));
            f.writer.register("met", "a", a.port(), 1);
            f.writer.register("met", "b", b.port(), 1);
            f.writer.putRoute("met", route("met", "/met", "met"));
            f.writer.putRoute("empty", route("empty", "/empty", "nobody"));
            await().atMost(Duration.ofSeconds(10)).until(() ->
                    f.gateway.snapshots().current().routes().entries().size() == 2
                    && f.gateway.snapshots().current().services().containsKey("met")
                    && f.gateway.snapshots().current().services().get("met").routable().length == 2);

            for (int i = 0; i < 10; i++) {
                assertEquals(200, Http.get(f.port(), "/met/x").statusCode());
            }
            for (int i = 0; i < 4; i++) {
                assertEquals(200, Http.send("POST", f.port(), "/met/y", Map.of()).statusCode());
            }
            for (int i = 0; i < 3; i++) {
                assertEquals(404, Http.get(f.port(), "/missing").statusCode());
            }
            for (int i = 0; i < 2; i++) {
                assertEquals(503, Http.get(f.port(), "/empty").statusCode());
            }

            HttpResponse<String> r = Http.get(f.adminPort(), "/metrics");
            assertEquals(200, r.statusCode());
            assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"));
            String m = r.body();
            assertEquals(10.0, sample(m, "zkgate_requests_total{route=\"met\",method=\"GET\",status=\"2xx\"}"), m);
            assertEquals(4.0, sample(m, "zkgate_requests_total{route=\"met\",method=\"POST\",status=\"2xx\"}"));
            assertEquals(3.0, sample(m, "zkgate_requests_total{route=\"(none)\",method=\"GET\",status=\"4xx\"}"));
            assertEquals(2.0, sample(m, "zkgate_requests_total{route=\"empty\",method=\"GET\",status=\"5xx\"}"));
            assertTrue(m.contains("# TYPE zkgate_requests_total counter") || m.contains("# TYPE zkgate_requests counter"),
                    "requests are a counter");
            assertEquals(14.0, sample(m, "zkgate_request_duration_seconds_count{route=\"met\"}"));
            for (String q : new String[] {"0.5", "0.9", "0.99"}) {
                Double v = sample(m, "zkgate_request_duration_seconds{route=\"met\",quantile=\"" + q + "\"}");
                assertNotNull(v, "quantile " + q);
                assertTrue(v > 0 && v < 5, "seconds, not nanoseconds: " + v);
            }
            String backendA = "127.0.0.1:" + a.port();
            String backendB = "127.0.0.1:" + b.port();
            assertEquals(7.0, sample(m, "zkgate_backend_picks_total{service=\"met\",backend=\"" + backendA + "\"}"));
            assertEquals(7.0, sample(m, "zkgate_backend_picks_total{service=\"met\",backend=\"" + backendB + "\"}"));
            assertEquals(7.0, sample(m, "zkgate_upstream_duration_seconds_count{service=\"met\",backend=\"" + backendA + "\"}"));
            assertEquals(0.0, sample(m, "zkgate_backend_in_flight{service=\"met\",backend=\"" + backendA + "\"}"));
            assertEquals(0.0, sample(m, "zkgate_upstream_failures_total{service=\"met\",backend=\"" + backendA
                    + "\",kind=\"error\"}"));
            assertEquals(1.0, sample(m, "zkgate_zookeeper_connected"));
            assertEquals(1.0, sample(m, "zkgate_zookeeper_state_changes_total{state=\"connected\"}"));
            assertTrue(sample(m, "zkgate_snapshot_version") >= 1);
            assertTrue(sample(m, "zkgate_snapshot_rebuilds_total") >= 1);
            assertNotNull(sample(m, "zkgate_snapshot_rebuild_duration_seconds_count"));
            assertTrue(m.contains("jvm_memory_bytes_used"), "JVM metrics from simpleclient_hotspot");
            for (String line : m.split("\n")) {
                if (!line.startsWith("#") && !line.isEmpty()) {
                    assertTrue(line.startsWith("zkgate_") || line.startsWith("jvm_") || line.startsWith("process_"),
                            "unprefixed series: " + line);
                }
            }
        }
    }

    @Test
    void withDurationSummariesOffOnlyTheHistogramsAreExported() throws Exception {
        try (GatewayFixture f = new GatewayFixture("--duration-summaries=false")) {
            TestBackend a = f.closeLater(TestBackend.start("hist-a"));
            f.writer.register("hist", "a", a.port(), 1);
            f.writer.putRoute("hist", route("hist", "/hist", "hist"));
            await().atMost(Duration.ofSeconds(10)).until(() -> Http.get(f.port(), "/hist/x").statusCode() == 200);
            for (int i = 0; i < 4; i++) {
                assertEquals(200, Http.get(f.port(), "/hist/x").statusCode());
            }

            String m = Http.metrics(f.adminPort());
            String backend = "service=\"hist\",backend=\"127.0.0.1:" + a.port() + "\"";
            assertEquals(5.0, sample(m, "zkgate_request_latency_seconds_count{route=\"hist\"}"), m);
            assertEquals(5.0, sample(m, "zkgate_upstream_latency_seconds_count{" + backend + "}"), m);
            assertEquals(5.0, sample(m, "zkgate_backend_picks_total{" + backend + "}"), m);
            assertFalse(m.contains("zkgate_request_duration_seconds"), m);
            assertFalse(m.contains("zkgate_upstream_duration_seconds"), m);
        }
    }

    @Test
    void scriptCallsAndFailuresAreCountedPerScript() throws Exception {
        try (GatewayFixture f = new GatewayFixture()) {
            TestBackend b = f.closeLater(TestBackend.start("scr"));
            f.writer.register("scr", "1", b.port(), 1);
            f.writer.putRaw("/zkgate/scripts/inject", java.nio.file.Files.readString(
                    java.nio.file.Path.of("..", "config", "examples", "scripts", "header-injection.lua")));
            f.writer.putRaw("/zkgate/scripts/broken", "function on_request(req) error('boom') end");
            f.writer.putRoute("scr", "{\"id\":\"scr\",\"match\":{\"pathPrefix\":\"/scr\"},\"service\":\"scr\","
                    + "\"script\":\"inject\"}");
            f.writer.putRoute("bad", "{\"id\":\"bad\",\"match\":{\"pathPrefix\":\"/bad\"},\"service\":\"scr\","
                    + "\"script\":\"broken\"}");
            await().atMost(Duration.ofSeconds(10)).until(() -> Http.get(f.port(), "/scr").statusCode() == 200
                    && Http.get(f.port(), "/bad").statusCode() == 500);
            HttpResponse<String> before = Http.get(f.adminPort(), "/metrics");
            double calls0 = sample(before.body(), "zkgate_script_duration_seconds_count{script=\"inject\"}");
            double fails0 = sample(before.body(), "zkgate_script_failures_total{script=\"broken\",reason=\"error\"}");
            for (int i = 0; i < 6; i++) {
                assertEquals(200, Http.get(f.port(), "/scr/x").statusCode());
                assertEquals(500, Http.get(f.port(), "/bad/x").statusCode());
            }
            String m = Http.metrics(f.adminPort());
            assertEquals(calls0 + 6, sample(m, "zkgate_script_duration_seconds_count{script=\"inject\"}"), m);
            assertEquals(fails0 + 6, sample(m, "zkgate_script_failures_total{script=\"broken\",reason=\"error\"}"));
            assertEquals(0.0, sample(m, "zkgate_script_failures_total{script=\"inject\",reason=\"error\"}"));
        }
    }
}
