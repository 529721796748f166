package io.zkgate.gateway.support;

import java.io.Closeable;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.FutureCallback;

/**
 * A real Jetty backend on a free loopback port whose one response is written piece by piece when the test says so:
 * {@link #send} writes (and flushes) one small piece, {@link #end} finishes the body. With {@code contentLength}
 * the response declares that length, otherwise it is chunked. Serves one streamed response at a time.
 * Thread-safe.
 */
public final class EventStreamBackend implements Closeable {
    private static final String END = "\u0000end";
    private final Server server;
    private final BlockingQueue<String> pieces = new LinkedBlockingQueue<>();

    private EventStreamBackend(String contentType, long contentLength) throws Exception {
        server = LoopbackServer.start("events", 0, new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
                if (contentLength >= 0) {
                    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, contentLength);
                }
                try {
                    FutureCallback headers = new FutureCallback();
                    response.write(false, null, headers); // commits the headers at once, as an SSE server does
                    headers.get(10, TimeUnit.SECONDS);
                    while (true) {
                        String piece = pieces.poll(60, TimeUnit.SECONDS);
                        if (piece == null || piece.equals(END)) {
                            break;
                        }
                        FutureCallback written = new FutureCallback();
                        response.write(false, ByteBuffer.wrap(piece.getBytes(StandardCharsets.UTF_8)), written);
                        written.get(10, TimeUnit.SECONDS);
                    }
                    response.write(true, null, callback);
                } catch (Exception e) {
                    callback.failed(e);
                }
                return true;
            }
        });
    }

    /** A chunked {@code text/event-stream} response. */
    public static EventStreamBackend serverSentEvents() throws Exception {
        return new EventStreamBackend("text/event-stream", -1);
    }

    /** A response that declares {@code contentLength} bytes and sends them piece by piece. */
    public static EventStreamBackend withContentLength(long contentLength) throws Exception {
        return new EventStreamBackend("text/plain; charset=utf-8", contentLength);
    }

    public void send(String piece) {
        pieces.add(piece);
    }

    public void end() {
        pieces.add(END);
    }

    public int port() {
        return LoopbackServer.port(server);
    }

    @Override
    public void close() {
        end();
        LoopbackServer.stop(server);
    }
}
