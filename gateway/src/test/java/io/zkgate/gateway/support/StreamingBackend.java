package io.zkgate.gateway.support;

import java.io.Closeable;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.FutureCallback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * A real Jetty backend on a free loopback port that starts its response at once and keeps it open, writing 16 KB
 * every 50 ms for a minute (16 KB a write because the proxy aggregates small writes to its client, so tiny lines
 * would not show up there). Counts the requests it saw.
 */
public final class StreamingBackend implements Closeable {
    private final Server server;
    private final AtomicInteger hits = new AtomicInteger();

    private StreamingBackend(String name) throws Exception {
        QueuedThreadPool pool = new QueuedThreadPool(32, 2);
        pool.setName("backend-" + name);
        server = new Server(pool);
        ServerConnector connector = new ServerConnector(server, 1, 1);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        byte[] chunk = new byte[16 * 1024];
        Arrays.fill(chunk, (byte) '.');
        chunk[chunk.length - 1] = '\n';
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                hits.incrementAndGet();
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; charset=utf-8");
                response.getHeaders().put("X-Backend", name);
                try {
                    for (int i = 0; i < 1200; i++) {
                        FutureCallback written = new FutureCallback();
                        response.write(false, ByteBuffer.wrap(chunk), written);
                        written.get(10, TimeUnit.SECONDS);
                        Thread.sleep(50);
                    }
                    response.write(true, null, callback);
                } catch (Exception e) {
                    callback.failed(e); // the proxy went away
                }
                return true;
            }
        });
        server.start();
    }

    public static StreamingBackend start(String name) throws Exception {
        return new StreamingBackend(name);
    }

    public int port() {
        return ((ServerConnector) server.getConnectors()[0]).getLocalPort();
    }

    public int hits() {
        return hits.get();
    }

    @Override
    public void close() {
        try {
            server.stop();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
