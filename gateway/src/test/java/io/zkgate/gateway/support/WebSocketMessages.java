package io.zkgate.gateway.support;

import java.net.http.WebSocket;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A JDK WebSocket listener that queues each whole text message and each close status for a test to take.
 * Thread-safe: the queues are concurrent; the partial message is the client's one delivery thread's.
 */
public final class WebSocketMessages implements WebSocket.Listener {
    public final BlockingQueue<String> texts = new LinkedBlockingQueue<>();
    public final BlockingQueue<Integer> closed = new LinkedBlockingQueue<>();
    private final StringBuilder partial = new StringBuilder();

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        partial.append(data);
        if (last) {
            texts.add(partial.toString());
            partial.setLength(0);
        }
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        closed.add(statusCode);
        return null;
    }

    /** The next whole text message, waiting up to 10 s. */
    public String next() throws InterruptedException {
        String m = texts.poll(10, TimeUnit.SECONDS);
        if (m == null) {
            throw new AssertionError("no message within 10 s");
        }
        return m;
    }
}
