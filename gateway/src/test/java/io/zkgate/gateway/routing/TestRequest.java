package io.zkgate.gateway.routing;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** A request as a front door would hand it to the router, built in a test without a server. Immutable. */
public record TestRequest(String method, String host, String path, String query, String clientAddress,
        Map<String, List<String>> headers, long contentLength) implements RequestView {

    public static TestRequest get(String path) {
        return new TestRequest("GET", null, path, null, "127.0.0.1", Map.of(), -1);
    }

    public TestRequest withMethod(String m) {
        return new TestRequest(m, host, path, query, clientAddress, headers, contentLength);
    }

    public TestRequest withHost(String h) {
        return new TestRequest(method, h, path, query, clientAddress, headers, contentLength);
    }

    public TestRequest withQuery(String q) {
        return new TestRequest(method, host, path, q, clientAddress, headers, contentLength);
    }

    public TestRequest withContentLength(long length) {
        return new TestRequest(method, host, path, query, clientAddress, headers, length);
    }

    /** This request with one more value of header {@code name}. */
    public TestRequest withHeader(String name, String value) {
        Map<String, List<String>> more = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        more.putAll(headers);
        more.merge(name.toLowerCase(Locale.ROOT), List.of(value),
                (a, b) -> java.util.stream.Stream.concat(a.stream(), b.stream()).toList());
        return new TestRequest(method, host, path, query, clientAddress, more, contentLength);
    }

    @Override
    public String header(String name) {
        List<String> values = headerValues(name);
        return values.isEmpty() ? null : values.get(0);
    }

    @Override
    public List<String> headerValues(String name) {
        for (Map.Entry<String, List<String>> e : headers.entrySet()) {
            if (e.getKey().equalsIgnoreCase(name)) {
                return e.getValue();
            }
        }
        return List.of();
    }
}
