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
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.FutureCallback;

/**
 * A real Jetty backend on a free loopback port that starts its response at once and keeps it open, writing 16 KB
 * every 50 ms for a minute. Counts the requests it saw.
 */
public final class StreamingBackend implements Closeable {
    private final Server server;
    private final AtomicInteger hits = new AtomicInteger();

    private StreamingBackend(String name) throws Exception {
        byte[] chunk = new byte[16 * 1024];
        Arrays.fill(chunk, (byte) '.');
        chunk[chunk.length - 1] = '\n';
        server = LoopbackServer.start(name, 0, new Handler.Abstract() {
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
    }

    public static StreamingBackend start(String name) throws Exception {
        return new StreamingBackend(name);
    }

    public int port() {
        return LoopbackServer.port(server);
    }

    public int hits() {
        return hits.get();
    }

    @Override
    public void close() {
        LoopbackServer.stop(server);
    }
}
