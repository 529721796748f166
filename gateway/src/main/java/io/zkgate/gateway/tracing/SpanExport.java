package io.zkgate.gateway.tracing;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.zkgate.config.GatewaySettings;
import io.zkgate.gateway.proxy.AccessLog;
import io.zkgate.gateway.routing.HeaderEdits;
import io.zkgate.gateway.routing.RequestTracing;
import io.zkgate.gateway.routing.RequestView;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.server.RequestLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Exports one OpenTelemetry SERVER span per routed request over OTLP/HTTP (protobuf), with the OpenTelemetry SDK.
 * The span is the gateway's hop of the W3C trace {@link RequestTracing} made: its trace id is the request's, its span
 * id the one sent upstream in {@code traceparent} (so backends' spans are its children), its parent the client's
 * span when the client sent a valid {@code traceparent}. Sampling is parent-based: a client's sampled flag is
 * followed, a new trace is sampled by ratio of its trace id, and a new trace left out goes upstream unsampled.
 *
 * <p>Begun when the request is routed, ended where its access log line is written (the answer complete). Spans go
 * through the SDK's {@link BatchSpanProcessor}: a bounded queue that drops spans when the collector cannot keep up,
 * so the request path never waits on export. Made only when {@code --otel-endpoint} is set: otherwise no class of the
 * SDK is loaded and requests allocate nothing for it.
 *
 * <p>Thread-safe: the SDK's tracer and processor are; a request's span lives in its {@link HeaderEdits}.
 */
public final class SpanExport implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SpanExport.class);
    /** Spans waiting for export at most; more are dropped (and the request goes on). */
    static final int MAX_QUEUE = 2048;
    /**
     * How long a span may wait for its batch: a second rather than the SDK's five, so a trace is whole in the
     * collector soon after its request (one small POST a second under load costs nothing measurable).
     */
    static final Duration BATCH_DELAY = Duration.ofSeconds(1);
    private static final long FLUSH_AT_STOP_MS = 5_000;

    private static final AttributeKey<String> METHOD = AttributeKey.stringKey("http.request.method");
    private static final AttributeKey<String> PATH = AttributeKey.stringKey("url.path");
    private static final AttributeKey<String> SCHEME = AttributeKey.stringKey("url.scheme");
    private static final AttributeKey<String> ROUTE = AttributeKey.stringKey("http.route");
    private static final AttributeKey<Long> STATUS = AttributeKey.longKey("http.response.status_code");
    private static final AttributeKey<String> SERVER = AttributeKey.stringKey("server.address");
    private static final AttributeKey<String> CLIENT = AttributeKey.stringKey("client.address");
    private static final AttributeKey<String> REQUEST_ID = AttributeKey.stringKey("zkgate.request_id");
    private static final AttributeKey<String> BACKEND = AttributeKey.stringKey("zkgate.backend");

    /** Reads a request's trace context headers for the SDK's W3C parser. */
    private static final TextMapGetter<RequestView> HEADERS = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(RequestView request) {
            return List.of(RequestTracing.TRACEPARENT, RequestTracing.TRACESTATE);
        }

        @Override
        public String get(RequestView request, String key) {
            return request == null ? null : request.header(key);
        }
    };

    private final HopIds ids = new HopIds();
    private final SdkTracerProvider provider;
    private final Tracer tracer;

    private SpanExport(GatewaySettings.Otel settings, String version) {
        OtlpHttpSpanExporter exporter = OtlpHttpSpanExporter.builder()
                .setEndpoint(settings.endpoint().toString())
                .setMeterProvider(MeterProvider.noop())
                .build();
        BatchSpanProcessor batch = BatchSpanProcessor.builder(exporter)
                .setMaxQueueSize(MAX_QUEUE)
                .setScheduleDelay(BATCH_DELAY)
                .setMeterProvider(MeterProvider.noop())
                .build();
        provider = SdkTracerProvider.builder()
                .setResource(Resource.getDefault().merge(Resource.builder()
                        .put("service.name", settings.serviceName()).put("service.version", version).build()))
                .setSampler(Sampler.parentBased(Sampler.traceIdRatioBased(settings.sampleRatio())))
                .setIdGenerator(ids)
                .addSpanProcessor(batch)
                .build();
        tracer = provider.get("io.zkgate.gateway", version);
    }

    /** Starts export as {@code settings} say (their endpoint set); one log line says where to and at what ratio. */
    public static SpanExport start(GatewaySettings.Otel settings, String version) {
        SpanExport export = new SpanExport(settings, version);
        log.info("span export: on, OTLP/HTTP to {}, sample ratio {} of new traces, service.name {}",
                settings.endpoint(), settings.sampleRatio(), settings.serviceName());
        return export;
    }

    /**
     * Begins the request's span, right after {@link RequestTracing#begin} recorded its ids in {@code headers}; a
     * sampled span is kept in {@code headers} until {@link #end}, and a new trace the sampler leaves out is marked
     * unsampled in the {@code traceparent} sent upstream and back.
     */
    public void begin(RequestView request, HeaderEdits headers) {
        String traceparent = headers.responseValue(RequestTracing.TRACEPARENT);
        if (traceparent == null) {
            return;
        }
        boolean continued = RequestTracing.validTraceparent(request.header(RequestTracing.TRACEPARENT));
        Context parent = continued
                ? W3CTraceContextPropagator.getInstance().extract(Context.root(), request, HEADERS)
                : Context.root();
        Span span;
        ids.set(headers.traceId(), traceparent.substring(36, 52));
        try {
            span = tracer.spanBuilder(request.method())
                    .setParent(parent)
                    .setSpanKind(SpanKind.SERVER)
                    .setAttribute(METHOD, request.method())
                    .setAttribute(PATH, request.path())
                    .setAttribute(SCHEME, request.secure() ? "https" : "http")
                    .setAttribute(SERVER, request.host())
                    .setAttribute(CLIENT, request.clientIp())
                    .setAttribute(REQUEST_ID, headers.requestId())
                    .startSpan();
        } finally {
            ids.clear();
        }
        if (span.getSpanContext().isSampled()) {
            headers.span(span);
        } else if (!continued) {
            String unsampled = traceparent.substring(0, 53) + "00";
            headers.setUpstream(RequestTracing.TRACEPARENT, unsampled)
                    .setResponse(RequestTracing.TRACEPARENT, unsampled);
        }
    }

    /**
     * Ends the span of a request whose answer is complete (where its access log line is written): the route, the
     * backend and the status the client got; a 5xx marks it an error.
     */
    public void end(AccessLog.Entry request, String method, int status) {
        if (!(request.ids().span() instanceof Span span)) {
            return;
        }
        String route = request.routeId();
        if (route != null) {
            span.updateName(method + " " + route);
            span.setAttribute(ROUTE, route);
        }
        String backend = request.upstreamAddress();
        if (backend != null) {
            span.setAttribute(BACKEND, backend);
        }
        span.setAttribute(STATUS, (long) status);
        if (status >= 500) {
            span.setStatus(StatusCode.ERROR);
        }
        span.end();
    }

    /**
     * Ends the spans of requests Jetty served (the servlet front door, HTTP/2, WebSocket handshakes there), where
     * Jetty writes their access log lines; requests without the front door's entry (the admin port) have none.
     */
    public RequestLog requestLog() {
        return (request, response) -> {
            if (request.getAttribute(AccessLog.ENTRY) instanceof AccessLog.Entry entry) {
                end(entry, request.getMethod(), response.getStatus());
            }
        };
    }

    /** Exports the spans still queued (waiting a bounded time for the collector) and stops the exporter. */
    @Override
    public void close() {
        CompletableResultCode done = provider.shutdown().join(FLUSH_AT_STOP_MS, TimeUnit.MILLISECONDS);
        if (!done.isSuccess()) {
            log.warn("span export: the last spans were not all exported within {}", Duration.ofMillis(FLUSH_AT_STOP_MS));
        }
    }
}
