package io.zkgate.gateway.tracing;

import io.opentelemetry.sdk.trace.IdGenerator;

/**
 * Hands the SDK the ids {@link io.zkgate.gateway.routing.RequestTracing} already chose for a request, so the exported
 * span is exactly the hop the forwarded {@code traceparent} names: its span id is the one backends see as their
 * parent, its trace id (for a new trace) the one in the access log. The SDK asks for the ids synchronously inside
 * {@code startSpan()}, on the thread that set them just before.
 * Thread-safe: the ids are per thread.
 */
final class HopIds implements IdGenerator {
    /** The next span's trace id and span id, set around one {@code startSpan()} call. */
    private static final class Next {
        String traceId;
        String spanId;
    }

    private final ThreadLocal<Next> next = ThreadLocal.withInitial(Next::new);

    /** Sets the ids the next span started on this thread takes; {@link #clear} once it started. */
    void set(String traceId, String spanId) {
        Next n = next.get();
        n.traceId = traceId;
        n.spanId = spanId;
    }

    void clear() {
        set(null, null);
    }

    @Override
    public String generateSpanId() {
        String id = next.get().spanId;
        return id != null ? id : IdGenerator.random().generateSpanId();
    }

    @Override
    public String generateTraceId() {
        String id = next.get().traceId;
        return id != null ? id : IdGenerator.random().generateTraceId();
    }
}
