package io.zkgate.gateway.tracing;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnknownFieldSet;
import io.zkgate.gateway.support.LoopbackServer;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;

/**
 * A stand-in OpenTelemetry collector: a real Jetty server taking OTLP/HTTP protobuf posts on {@code /v1/traces},
 * keeping every body and decoding its spans by the field numbers of the OTLP trace proto (opentelemetry-proto's
 * {@code trace.proto}, {@code common.proto}) through protobuf's schema-less {@link UnknownFieldSet}.
 */
final class OtlpCollector implements AutoCloseable {
    /** One exported span as the collector read it; ids in lower-case hex, "" when absent. */
    record ExportedSpan(String traceId, String spanId, String parentSpanId, String name, int kind,
            Map<String, Object> attributes, int statusCode, Map<String, Object> resource) {
        static final int KIND_SERVER = 2;
        static final int STATUS_ERROR = 2;
    }

    private final List<byte[]> bodies = new CopyOnWriteArrayList<>();
    private final List<String> contentTypes = new CopyOnWriteArrayList<>();
    private final Server server;

    OtlpCollector() throws Exception {
        server = LoopbackServer.start("collector", 0, new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                if (!"POST".equals(request.getMethod()) || !"/v1/traces".equals(request.getHttpURI().getPath())) {
                    Response.writeError(request, response, callback, 404);
                    return true;
                }
                bodies.add(BufferUtil.toArray(Content.Source.asByteBuffer(request)));
                contentTypes.add(request.getHeaders().get(HttpHeader.CONTENT_TYPE));
                response.setStatus(200);
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/x-protobuf");
                response.write(true, null, callback); // an empty ExportTraceServiceResponse: all accepted
                return true;
            }
        });
    }

    String endpoint() {
        return "http://127.0.0.1:" + LoopbackServer.port(server) + "/v1/traces";
    }

    List<String> contentTypes() {
        return List.copyOf(contentTypes);
    }

    /** Every span of every post so far, in the order they arrived. */
    List<ExportedSpan> spans() throws InvalidProtocolBufferException {
        List<ExportedSpan> spans = new ArrayList<>();
        for (byte[] body : bodies) {
            for (ByteString resourceSpans : fields(UnknownFieldSet.parseFrom(body), 1)) {
                UnknownFieldSet rs = UnknownFieldSet.parseFrom(resourceSpans);
                Map<String, Object> resource = new LinkedHashMap<>();
                for (ByteString r : fields(rs, 1)) {
                    attributes(UnknownFieldSet.parseFrom(r), 1, resource);
                }
                for (ByteString scopeSpans : fields(rs, 2)) {
                    for (ByteString span : fields(UnknownFieldSet.parseFrom(scopeSpans), 2)) {
                        spans.add(span(UnknownFieldSet.parseFrom(span), resource));
                    }
                }
            }
        }
        return spans;
    }

    private static ExportedSpan span(UnknownFieldSet s, Map<String, Object> resource)
            throws InvalidProtocolBufferException {
        Map<String, Object> attributes = new LinkedHashMap<>();
        attributes(s, 9, attributes);
        int status = 0;
        for (ByteString st : fields(s, 15)) {
            List<Long> code = UnknownFieldSet.parseFrom(st).getField(3).getVarintList();
            status = code.isEmpty() ? 0 : code.get(0).intValue();
        }
        List<Long> kind = s.getField(6).getVarintList();
        return new ExportedSpan(hex(s, 1), hex(s, 2), hex(s, 4), text(s, 5), kind.isEmpty() ? 0 : kind.get(0).intValue(),
                attributes, status, resource);
    }

    /** KeyValue messages at {@code field}: key (1), AnyValue (2) of string (1), bool (2), int (3) or double (4). */
    private static void attributes(UnknownFieldSet message, int field, Map<String, Object> into)
            throws InvalidProtocolBufferException {
        for (ByteString kv : fields(message, field)) {
            UnknownFieldSet pair = UnknownFieldSet.parseFrom(kv);
            String key = text(pair, 1);
            for (ByteString any : fields(pair, 2)) {
                UnknownFieldSet value = UnknownFieldSet.parseFrom(any);
                if (value.hasField(1)) {
                    into.put(key, text(value, 1));
                } else if (value.hasField(2)) {
                    into.put(key, value.getField(2).getVarintList().get(0) != 0);
                } else if (value.hasField(3)) {
                    into.put(key, value.getField(3).getVarintList().get(0));
                } else if (value.hasField(4)) {
                    into.put(key, Double.longBitsToDouble(value.getField(4).getFixed64List().get(0)));
                }
            }
        }
    }

    private static List<ByteString> fields(UnknownFieldSet message, int field) {
        return message.hasField(field) ? message.getField(field).getLengthDelimitedList() : List.of();
    }

    private static String hex(UnknownFieldSet message, int field) {
        List<ByteString> v = fields(message, field);
        return v.isEmpty() ? "" : HexFormat.of().formatHex(v.get(0).toByteArray());
    }

    private static String text(UnknownFieldSet message, int field) {
        List<ByteString> v = fields(message, field);
        return v.isEmpty() ? "" : v.get(0).toStringUtf8();
    }

    @Override
    public void close() {
        LoopbackServer.stop(server);
    }
}
