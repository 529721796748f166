package io.zkgate.gateway.tracing;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.zkgate.config.GatewaySettings;
import io.zkgate.gateway.Gateway;
import io.zkgate.gateway.support.GatewayFixture;
import io.zkgate.gateway.support.Http;
import io.zkgate.gateway.support.RawHttp;
import io.zkgate.gateway.support.ScriptedBackend;
import io.zkgate.gateway.support.ScriptedBackend.Received;
import io.zkgate.gateway.support.ScriptedBackend.Reply;
import io.zkgate.gateway.support.WebSocketBackend;
import io.zkgate.gateway.tracing.OtlpCollector.ExportedSpan;
import java.io.File;
import java.net.URL;
import java.net.URLClassLoader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * OpenTelemetry span export through the real gateway on a real ZooKeeper, to a stand-in collector: one SERVER span per
 * request, the gateway's hop of the trace (the span id the backend sees as its parent in {@code traceparent}), with
 * parent-based sampling by ratio, and nothing at all (no SDK class) without an endpoint.
 */
class SpanExportEndToEndTest {
    private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String CLIENT_SPAN = "00f067aa0ba902b7";
    private static final Duration EXPORTED = Duration.ofSeconds(30);
    private static GatewayFixture f;
    private static OtlpCollector collector;
    private static ScriptedBackend backend;
    private static WebSocketBackend sockets;

    @BeforeAll
    static void start() throws Exception {
        collector = new OtlpCollector();
        f = new GatewayFixture("--otel-endpoint", collector.endpoint(), "--otel-service-name", "edge-test");
        f.closeLater(collector);
        backend = f.closeLater(ScriptedBackend.start(r -> r.requestLine().contains("/fail")
                ? Reply.keepAlive("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy")
                : Reply.keepAlive("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")));
        f.writer.register("ok", "1", backend.port(), 1);
        f.writer.putRoute("ok", "{\"id\":\"ok\",\"match\":{\"pathPrefix\":\"/ok\"},\"service\":\"ok\","
                + "\"retries\":{\"attempts\":0}}");
        sockets = f.closeLater(WebSocketBackend.start("ws-otel"));
        f.writer.register("ws", "1", sockets.port(), 1);
        f.writer.putRoute("ws", "{\"id\":\"ws\",\"match\":{\"pathPrefix\":\"/ws\"},\"service\":\"ws\"}");
        await().atMost(Duration.ofSeconds(10)).until(() -> RawHttp.status(get(f.port(), "/ok/warm", "")) == 200);
    }

    @AfterAll
    static void stop() throws Exception {
        f.close();
    }

    @Test
    void aClientsSampledTraceIsExportedAsTheGatewaysHopWhoseSpanIdTheBackendSawAsItsParent() throws Exception {
        String r = get(f.port(), "/ok/kept?q=1", "X-Request-Id: span-1\r\ntraceparent: 00-" + TRACE + "-"
                + CLIENT_SPAN + "-01\r\n");
        assertEquals(200, RawHttp.status(r));
        String forwarded = lastUpstream().header("traceparent");
        assertTrue(forwarded.matches("00-" + TRACE + "-[0-9a-f]{16}-01"), forwarded);

        ExportedSpan span = awaitSpan(TRACE);
        assertEquals(forwarded.substring(36, 52), span.spanId(), "the span the backend names as its parent");
        assertEquals(CLIENT_SPAN, span.parentSpanId(), "the client's span is the gateway span's parent");
        assertEquals(ExportedSpan.KIND_SERVER, span.kind());
        assertEquals("GET ok", span.name());
        assertEquals("GET", span.attributes().get("http.request.method"));
        assertEquals("/ok/kept", span.attributes().get("url.path"));
        assertEquals("ok", span.attributes().get("http.route"));
        assertEquals(200L, span.attributes().get("http.response.status_code"));
        assertEquals("gw.test", span.attributes().get("server.address"));
        assertEquals("127.0.0.1", span.attributes().get("client.address"));
        assertEquals("span-1", span.attributes().get("zkgate.request_id"));
        assertEquals("127.0.0.1:" + backend.port(), span.attributes().get("zkgate.backend"));
        assertEquals(0, span.statusCode(), "unset: not an error");
        assertEquals("edge-test", span.resource().get("service.name"));
        assertTrue(collector.contentTypes().contains("application/x-protobuf"), collector.contentTypes().toString());
        assertEquals(1, spansOf(TRACE).size(), "one span per request");
    }

    @Test
    void aNewTraceIsExportedAsARootSpanAndA5xxAsAnError() throws Exception {
        String r = get(f.port(), "/ok/fail", "");
        assertEquals(503, RawHttp.status(r));
        String traceparent = RawHttp.header(r, "traceparent");
        assertTrue(traceparent.endsWith("-01"), "ratio 1: a new trace is sampled: " + traceparent);
        assertEquals(traceparent, lastUpstream().header("traceparent"));

        ExportedSpan span = awaitSpan(traceparent.substring(3, 35));
        assertEquals(traceparent.substring(36, 52), span.spanId());
        assertEquals("", span.parentSpanId(), "a root span");
        assertEquals(503L, span.attributes().get("http.response.status_code"));
        assertEquals(ExportedSpan.STATUS_ERROR, span.statusCode());
    }

    @Test
    void aRequestNoRouteMatchesIsASpanWithoutARouteOrBackend() throws Exception {
        String trace = "9bf92f3577b34da6a3ce929d0e0e4736";
        String r = get(f.port(), "/nowhere", "traceparent: 00-" + trace + "-" + CLIENT_SPAN + "-01\r\n");
        assertEquals(404, RawHttp.status(r));
        ExportedSpan span = awaitSpan(trace);
        assertEquals(RawHttp.header(r, "traceparent").substring(36, 52), span.spanId());
        assertEquals("GET", span.name());
        assertEquals(404L, span.attributes().get("http.response.status_code"));
        assertFalse(span.attributes().containsKey("http.route"));
        assertFalse(span.attributes().containsKey("zkgate.backend"));
        assertEquals(0, span.statusCode(), "a 4xx is the client's error, not the server's");
    }

    @Test
    void aClientsUnsampledTraceIsNeitherExportedNorSampledUpstream() throws Exception {
        String unsampled = "5bf92f3577b34da6a3ce929d0e0e4736";
        get(f.port(), "/ok/quiet", "traceparent: 00-" + unsampled + "-" + CLIENT_SPAN + "-00\r\n");
        assertTrue(lastUpstream().header("traceparent").endsWith("-00"));
        String marker = "6bf92f3577b34da6a3ce929d0e0e4736";
        get(f.port(), "/ok/marker", "traceparent: 00-" + marker + "-" + CLIENT_SPAN + "-01\r\n");
        awaitSpan(marker); // spans leave in the order they ended: the unsampled one would have come first
        assertEquals(List.of(), spansOf(unsampled));
    }

    @Test
    void aWebSocketHandshakeIsASpanToo() throws Exception {
        String trace = "7bf92f3577b34da6a3ce929d0e0e4736";
        String r = get(f.port(), "/ws/chat", "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                + "traceparent: 00-" + trace + "-" + CLIENT_SPAN + "-01\r\n");
        assertEquals(101, RawHttp.status(r), r);
        ExportedSpan span = awaitSpan(trace);
        assertEquals(CLIENT_SPAN, span.parentSpanId());
        assertEquals(RawHttp.header(r, "traceparent").substring(36, 52), span.spanId());
        assertEquals("ws", span.attributes().get("http.route"));
        assertEquals(101L, span.attributes().get("http.response.status_code"));
    }

    @Test
    void atRatioZeroNewTracesAreNeitherExportedNorSampledButAClientsSampledTraceIs() throws Exception {
        OtlpCollector quiet = new OtlpCollector();
        Gateway g = GatewayFixture.startGateway(f.zk.getConnectString(), "--otel-endpoint", quiet.endpoint(),
                "--otel-sample-ratio", "0");
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> RawHttp.status(get(g.port(), "/ok/warm0", "")) == 200);
            List<String> newTraces = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                String r = get(g.port(), "/ok/ratio0", "");
                String traceparent = RawHttp.header(r, "traceparent");
                assertTrue(traceparent.endsWith("-00"), "left out, and said so: " + traceparent);
                assertEquals(traceparent, lastUpstream().header("traceparent"));
                newTraces.add(traceparent.substring(3, 35));
            }
            String kept = "8bf92f3577b34da6a3ce929d0e0e4736";
            get(g.port(), "/ok/kept0", "traceparent: 00-" + kept + "-" + CLIENT_SPAN + "-01\r\n");
            await().atMost(EXPORTED).until(() -> quiet.spans().stream().anyMatch(s -> s.traceId().equals(kept)));
            g.close(); // flushes: nothing else is on its way
            for (ExportedSpan s : quiet.spans()) {
                assertEquals(kept, s.traceId(), "only the client's sampled trace: " + s);
            }
            assertTrue(newTraces.stream().noneMatch(t -> t.equals(kept)));
            assertTrue(Http.json(f.adminPort(), "/admin/status").get("tracing").get("export").asBoolean());
        } finally {
            g.close();
            quiet.close();
        }
    }

    @Test
    void theStatusSaysWhereSpansGo() {
        JsonNode tracing = Http.json(f.adminPort(), "/admin/status").get("tracing");
        assertTrue(tracing.get("export").asBoolean());
        assertEquals(collector.endpoint(), tracing.get("endpoint").asText());
        assertEquals(1.0, tracing.get("sampleRatio").asDouble());
        assertEquals("edge-test", tracing.get("serviceName").asText());
    }

    /**
     * A gateway in a class loader of its own (the test's class path, nothing shared but the JDK), so that what it
     * loads can be told: without an endpoint it serves requests and answers {@code /admin/status} without loading
     * one class of the SDK or of the span export; with one, the same check sees the SDK loaded.
     */
    @Test
    void withoutAnEndpointNoSpanIsExportedAndNoClassOfTheSdkIsLoaded() throws Exception {
        OtlpCollector unused = f.closeLater(new OtlpCollector());
        try (Isolated off = new Isolated(f.zk.getConnectString())) {
            assertEquals(200, RawHttp.status(get(off.port, "/ok/off", "traceparent: 00-" + TRACE + "-"
                    + CLIENT_SPAN + "-01\r\n")));
            assertFalse(Http.json(off.adminPort, "/admin/status").get("tracing").get("export").asBoolean());
            assertTrue(off.loaded("io.zkgate.gateway.routing.RequestTracing"), "the probe sees what the gateway loaded");
            assertFalse(off.loaded("io.zkgate.gateway.tracing.SpanExport"));
            assertFalse(off.loaded("io.opentelemetry.sdk.trace.SdkTracerProvider"));
            assertFalse(off.loaded("io.opentelemetry.api.trace.Span"));
        }
        try (Isolated on = new Isolated(f.zk.getConnectString(), "--otel-endpoint", unused.endpoint())) {
            assertEquals(200, RawHttp.status(get(on.port, "/ok/on", "")));
            assertTrue(on.loaded("io.opentelemetry.sdk.trace.SdkTracerProvider"), "the check can fail");
        }
    }

    /** A gateway started through reflection in a fresh class loader over the test's class path. */
    private static final class Isolated implements AutoCloseable {
        private final Probe loader;
        private final AutoCloseable gateway;
        final int port;
        final int adminPort;

        Isolated(String zk, String... extraFlags) throws Exception {
            List<URL> urls = new ArrayList<>();
            for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
                urls.add(new File(entry).toURI().toURL()); // a manifest-only jar brings its Class-Path along
            }
            loader = new Probe(urls.toArray(new URL[0]));
            List<String> flags = new ArrayList<>(List.of("--zk", zk, "--port", "0", "--admin-port", "0"));
            String engine = System.getProperty("zkgate.engine");
            if (engine != null && !engine.isEmpty()) {
                flags.addAll(List.of("--engine", engine));
            }
            flags.addAll(List.of(extraFlags));
            Thread thread = Thread.currentThread();
            ClassLoader before = thread.getContextClassLoader();
            thread.setContextClassLoader(loader);
            try {
                Class<?> settings = loader.loadClass(GatewaySettings.class.getName());
                Object parsed = settings.getMethod("of", String[].class).invoke(null, (Object) flags.toArray(new String[0]));
                Class<?> gatewayClass = loader.loadClass(Gateway.class.getName());
                gateway = (AutoCloseable) gatewayClass.getMethod("start", settings).invoke(null, parsed);
                port = (int) gatewayClass.getMethod("port").invoke(gateway);
                adminPort = (int) gatewayClass.getMethod("adminPort").invoke(gateway);
            } finally {
                thread.setContextClassLoader(before);
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> RawHttp.status(get(port, "/ok/warm-isolated", "")) == 200);
        }

        boolean loaded(String className) {
            return loader.loaded(className);
        }

        @Override
        public void close() throws Exception {
            try {
                gateway.close();
            } finally {
                loader.close();
            }
        }
    }

    private static final class Probe extends URLClassLoader {
        Probe(URL[] urls) {
            super("isolated-gateway", urls, ClassLoader.getPlatformClassLoader());
        }

        boolean loaded(String className) {
            return findLoadedClass(className) != null;
        }
    }

    private static ExportedSpan awaitSpan(String traceId) throws Exception {
        await().atMost(EXPORTED).until(() -> !spansOf(traceId).isEmpty());
        return spansOf(traceId).get(0);
    }

    private static List<ExportedSpan> spansOf(String traceId) throws Exception {
        return collector.spans().stream().filter(s -> s.traceId().equals(traceId)).toList();
    }

    private static Received lastUpstream() {
        List<Received> all = backend.received();
        return all.get(all.size() - 1);
    }

    private static String get(int port, String path, String headers) throws Exception {
        return RawHttp.exchange(port, "GET " + path + " HTTP/1.1\r\nHost: gw.test\r\n" + headers
                + "Connection: close\r\n\r\n");
    }
}
