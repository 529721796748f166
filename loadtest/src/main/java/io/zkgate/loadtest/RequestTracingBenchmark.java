package io.zkgate.loadtest;

import io.zkgate.gateway.loop.LoopRequestView;
import io.zkgate.gateway.routing.HeaderEdits;
import io.zkgate.gateway.routing.RequestTracing;
import io.zkgate.gateway.routing.RequestView;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * What request ids and trace context add to one proxied request on the event loop, beside the rest of its work
 * (about 50 µs of CPU per request in the load harness): giving the request its ids ({@link RequestTracing#begin}),
 * then writing the head sent upstream and the head sent back with the edits they ask for, as the loop engine writes
 * them (each client field checked against the edits, the edits' lines appended). {@code ids=off} writes the same
 * heads without edits, so the difference is the feature's cost. {@code client} is a request without ids (ab's) or
 * with a valid {@code traceparent} and {@code X-Request-Id} (a traced caller). Confined to its benchmark thread.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
public class RequestTracingBenchmark {
    @Param({"on", "off"})
    public String ids;

    @Param({"plain", "traced"})
    public String client;

    private RequestView request;
    private HttpFields requestFields;
    private HttpFields responseFields;

    @Setup
    public void setUp() {
        HttpFields.Mutable fields = HttpFields.build()
                .add(HttpHeader.HOST, "127.0.0.1:8080")
                .add(HttpHeader.USER_AGENT, "ApacheBench/2.3")
                .add(HttpHeader.ACCEPT, "*/*")
                .add(HttpHeader.CONNECTION, "keep-alive");
        if (client.equals("traced")) {
            fields.add("X-Request-Id", "0af7651916cd43dd8448eb211c80319c")
                    .add(RequestTracing.TRACEPARENT, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        }
        requestFields = fields.asImmutable();
        responseFields = HttpFields.build()
                .add(HttpHeader.SERVER, "nginx")
                .add(HttpHeader.DATE, "Tue, 01 Dec 2026 23:59:59 GMT")
                .add(HttpHeader.CONTENT_TYPE, "text/plain")
                .add(HttpHeader.CONTENT_LENGTH, "2")
                .add(HttpHeader.CONNECTION, "keep-alive")
                .asImmutable();
        request = new LoopRequestView("GET", "127.0.0.1", "/plain/", null, "127.0.0.1", "127.0.0.1",
                requestFields, false);
    }

    @Benchmark
    public int proxiedRequest() {
        HeaderEdits edits = HeaderEdits.NONE;
        if (ids.equals("on")) {
            edits = new HeaderEdits();
            RequestTracing.begin(request, edits);
        }
        StringBuilder upstream = new StringBuilder(256 + requestFields.size() * 32);
        boolean edited = edits.hasUpstream();
        for (HttpField field : requestFields) {
            if (!(edited && edits.editsUpstream(field.getName()))) {
                upstream.append(field.getName()).append(": ").append(field.getValue()).append("\r\n");
            }
        }
        if (edited) {
            edits.appendUpstreamLines((name, value) -> upstream.append(name).append(": ").append(value).append("\r\n"));
        }
        StringBuilder response = new StringBuilder(256 + responseFields.size() * 32);
        edited = edits.hasResponse();
        for (HttpField field : responseFields) {
            if (!(edited && edits.setsResponse(field.getLowerCaseName()))) {
                response.append(field.getName()).append(": ").append(field.getValue()).append("\r\n");
            }
        }
        if (edited) {
            edits.appendResponseLines((name, value) -> response.append(name).append(": ").append(value).append("\r\n"));
        }
        return upstream.toString().length() + response.toString().length();
    }
}
