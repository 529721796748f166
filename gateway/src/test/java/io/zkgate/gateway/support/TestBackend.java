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
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * A real Jetty backend on a free loopback port. It answers {@code <name> <path>[?query]} and echoes the forwarded
 * headers it received as response headers; a stalling backend never answers. Counts the requests it saw.
 */
public final class TestBackend implements Closeable {
    private final String name;
    private final Server server;
    private final AtomicInteger hits = new AtomicInteger();

    private TestBackend(String name, boolean stall) throws Exception {
        this.name = name;
        QueuedThreadPool pool = new QueuedThreadPool(32, 2);
        pool.setName("backend-" + name);
        server = new Server(pool);
        ServerConnector connector = new ServerConnector(server, 1, 1);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                hits.incrementAndGet();
                if (stall) {
                    return true; // never completes the callback: the response never starts
                }
                String query = request.getHttpURI().getQuery();
                String body = name + " " + request.getHttpURI().getPath() + (query == null ? "" : "?" + query) + "\n";
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; charset=utf-8");
                response.getHeaders().put("X-Backend", name);
                copy(request, response, "X-Forwarded-For");
                copy(request, response, "X-Forwarded-Proto");
                copy(request, response, "X-Forwarded-Host");
                response.write(true, ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)), callback);
                return true;
            }
        });
        server.start();
    }

    public static TestBackend start(String name) throws Exception {
        return new TestBackend(name, false);
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
        return ((ServerConnector) server.getConnectors()[0]).getLocalPort();
    }

    public int hits() {
        return hits.get();
    }

    /** Stops abruptly: listening socket and connections close. */
    @Override
    public void close() {
        try {
            server.stop();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
