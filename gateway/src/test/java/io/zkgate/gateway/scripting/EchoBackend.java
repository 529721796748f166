package io.zkgate.gateway.scripting;

import io.zkgate.gateway.support.LoopbackServer;
import java.io.Closeable;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;

/**
 * A real Jetty backend on a free loopback port that shows what reached it: the body is {@code <method> <path>[?query]}
 * then one {@code name: value} line per request header (names in lower case). It answers with
 * {@code X-Backend: <name>} and {@code X-Upstream-Secret: s3cret}, and with the status given by a {@code status}
 * query parameter (default 200). Counts requests. Thread-safe.
 */
final class EchoBackend implements Closeable {
    private final Server server;
    private final AtomicInteger hits = new AtomicInteger();

    EchoBackend(String name) throws Exception {
        server = LoopbackServer.start(name, 0, new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                hits.incrementAndGet();
                String query = request.getHttpURI().getQuery();
                StringBuilder body = new StringBuilder();
                body.append(request.getMethod()).append(' ').append(request.getHttpURI().getPath());
                if (query != null) {
                    body.append('?').append(query);
                }
                body.append('\n');
                Map<String, String> headers = new TreeMap<>();
                for (HttpField f : request.getHeaders()) {
                    headers.merge(f.getName().toLowerCase(Locale.ROOT), f.getValue(), (a, b) -> a + "," + b);
                }
                headers.forEach((k, v) -> body.append(k).append(": ").append(v).append('\n'));
                int status = 200;
                if (query != null && query.startsWith("status=")) {
                    status = Integer.parseInt(query.substring(7, 10));
                }
                response.setStatus(status);
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; charset=utf-8");
                response.getHeaders().put("X-Backend", name);
                response.getHeaders().put("X-Upstream-Secret", "s3cret");
                response.write(true, ByteBuffer.wrap(body.toString().getBytes(StandardCharsets.UTF_8)), callback);
                return true;
            }
        });
    }

    int port() {
        return LoopbackServer.port(server);
    }

    int hits() {
        return hits.get();
    }

    @Override
    public void close() {
        LoopbackServer.stop(server);
    }

    /** The request line and headers a response body of this backend shows; header names in lower case. */
    record Seen(String requestLine, Map<String, String> headers) {
        static Seen parse(String body) {
            String[] lines = body.split("\n");
            Map<String, String> headers = new TreeMap<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(": ");
                headers.put(lines[i].substring(0, colon), lines[i].substring(colon + 2));
            }
            return new Seen(lines[0], headers);
        }

        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }
}
