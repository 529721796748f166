package io.zkgate.gateway.proxy;

import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.util.Callback;

/**
 * Writes a backend's response body to the client with servlet async I/O, one upstream chunk at a time, and flushes
 * each chunk that does not end the body. Jetty's own writer leaves small writes in the 32 KB response buffer until
 * it fills or the response ends, which holds back server-sent events, long-poll heartbeats and any body the backend
 * streams slowly. A body that arrives in one chunk with a Content-Length (the common small response) is written
 * and completed in one go as before; a chunked body costs one extra flush, at its end.
 * Not thread-safe: Jetty hands it one chunk at a time and calls {@link #onWritePossible} serially.
 */
final class ResponseWriter implements WriteListener {
    static final String ATTRIBUTE = ResponseWriter.class.getName();

    private enum State { IDLE, WRITE, FLUSH, DONE }

    private final HttpServletResponse response;
    private final Response upstreamResponse;
    private final Runnable clientGone;
    private final long contentLength;
    private long written;
    private State state = State.IDLE;
    private byte[] bytes;
    private int offset;
    private int length;
    private Callback callback;

    /** @param clientGone told when a write to the client fails, before the upstream response is aborted */
    ResponseWriter(HttpServletResponse response, Response upstreamResponse, Runnable clientGone) {
        this.response = response;
        this.upstreamResponse = upstreamResponse;
        this.clientGone = clientGone;
        this.contentLength = upstreamResponse.getHeaders().getLongField(HttpHeader.CONTENT_LENGTH);
    }

    /**
     * Hands the backend's next chunk to the request's writer, made on the first chunk; in place of Jetty's writer.
     * A write that throws counts as the client gone and aborts the backend's response.
     */
    static void write(HttpServletRequest request, HttpServletResponse response, Response upstreamResponse,
            byte[] buffer, int offset, int length, Callback callback) {
        try {
            ResponseWriter writer = (ResponseWriter) request.getAttribute(ATTRIBUTE);
            if (writer == null) {
                writer = new ResponseWriter(response, upstreamResponse, () -> ProxyExchange.clientGone(request));
                request.setAttribute(ATTRIBUTE, writer);
                writer.data(buffer, offset, length, callback);
                response.getOutputStream().setWriteListener(writer); // calls onWritePossible, maybe on another thread
            } else {
                writer.data(buffer, offset, length, callback);
                writer.onWritePossible();
            }
        } catch (Throwable failure) {
            ProxyExchange.clientGone(request);
            callback.failed(failure);
            upstreamResponse.abort(failure);
        }
    }

    /** The next chunk; its callback succeeds once the chunk is written and, unless it ended the body, flushed. */
    void data(byte[] bytes, int offset, int length, Callback callback) {
        if (state != State.IDLE) {
            throw new IllegalStateException("a chunk is still being written: " + state);
        }
        this.bytes = bytes;
        this.offset = offset;
        this.length = length;
        this.callback = callback;
        state = State.WRITE;
    }

    @Override
    public void onWritePossible() throws IOException {
        ServletOutputStream output = response.getOutputStream();
        while (true) {
            switch (state) {
                case WRITE -> {
                    output.write(bytes, offset, length);
                    written += length;
                    state = contentLength >= 0 && written >= contentLength ? State.DONE : State.FLUSH;
                }
                case FLUSH -> {
                    output.flush();
                    state = State.DONE;
                }
                case DONE -> {
                    complete();
                    return;
                }
                case IDLE -> {
                    return;
                }
            }
            if (!output.isReady()) {
                return;
            }
        }
    }

    private void complete() {
        Callback done = callback;
        bytes = null;
        callback = null;
        state = State.IDLE;
        // The callback may hand over the next chunk at once, re-entering data() and onWritePossible().
        done.succeeded();
    }

    @Override
    public void onError(Throwable failure) {
        clientGone.run();
        upstreamResponse.abort(failure);
    }
}
