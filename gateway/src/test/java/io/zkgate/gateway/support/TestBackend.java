package io.zkgate.gateway.support;

import java.io.Closeable;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;

/**
 * A real Jetty backend on a free loopback port. It answers {@code <name> <path>[?query]} and echoes the forwarded
 * headers and the HTTP version it received as response headers; a stalling backend never answers. Counts the requests it saw.
 */
public final class TestBackend implements Closeable {
    private final String name;
    private final Server server;
    private final AtomicInteger hits = new AtomicInteger();
    private volatile int healthStatus = 200;

    private TestBackend(String name, boolean stall) throws Exception {
        this(name, stall, 0);
    }

    private TestBackend(String name, boolean stall, long delayMs) throws Exception {
        this(name, stall, delayMs, 0, 200);
    }

    private TestBackend(String name, boolean stall, long delayMs, int port, int status) throws Exception {
        this.name = name;
        server = LoopbackServer.start(name, port, new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                if (request.getHttpURI().getPath().equals("/health")) {
                    response.setStatus(healthStatus);
                    callback.succeeded();
                    return true;
                }
                hits.incrementAndGet();
                if (stall) {
                    return true; // never completes the callback: the response never starts
                }
                if (delayMs > 0) {
                    try {
                        Thread.sleep(delayMs);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                String query = request.getHttpURI().getQuery();
                String body = name + " " + request.getHttpURI().getPath() + (query == null ? "" : "?" + query) + "\n";
                response.setStatus(status);
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; charset=utf-8");
                response.getHeaders().put("X-Backend", name);
                response.getHeaders().put("Echo-Protocol", request.getConnectionMetaData().getHttpVersion().asString());
                response.getHeaders().put("X-Received-Headers", String.join(",", request.getHeaders().getFieldNamesCollection()
                        .stream().map(n -> n.toLowerCase(java.util.Locale.ROOT)).sorted().toList()));
                copy(request, response, "X-Forwarded-For");
                copy(request, response, "X-Forwarded-Proto");
                copy(request, response, "X-Forwarded-Host");
                response.write(true, ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)), callback);
                return true;
            }
        });
    }

    public static TestBackend start(String name) throws Exception {
        return new TestBackend(name, false);
    }

    /** A backend on a given port, e.g. the port of one that was stopped, as a restart would. */
    public static TestBackend onPort(String name, int port) throws Exception {
        return new TestBackend(name, false, 0, port, 200);
    }

    /** A backend that answers every request with {@code status}. */
    public static TestBackend answering(String name, int status) throws Exception {
        return new TestBackend(name, false, 0, 0, status);
    }

    /** A backend that answers each request after {@code delayMs}. */
    public static TestBackend slow(String name, long delayMs) throws Exception {
        return new TestBackend(name, false, delayMs);
    }

    /** A backend that accepts requests and never answers. */
    public static TestBackend stalling(String name) throws Exception {
        return new TestBackend(name, true);
    }

    private static void copy(Request request, Response response, String header) {
        String v = request.getHeaders().get(header);
        if (v != null) {
            response.getHeaders().put("Echo-" + header, v);
        }
    }

    public String name() {
        return name;
    }

    public int port() {
        return LoopbackServer.port(server);
    }

    /** What {@code GET /health} answers from now on (not counted as a hit). */
    public void health(int status) {
        healthStatus = status;
    }

    public int hits() {
        return hits.get();
    }

    /** Stops abruptly: listening socket and connections close. */
    @Override
    public void close() {
        LoopbackServer.stop(server);
    }
}
