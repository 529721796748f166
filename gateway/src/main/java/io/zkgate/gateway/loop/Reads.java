package io.zkgate.gateway.loop;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.function.Consumer;
import org.eclipse.jetty.io.AbstractConnection;

/**
 * The one way the event loop reads a connection: fill, and when the socket has nothing, ask the selector to say
 * when it has (no read is retried in a loop). Stateless.
 */
final class Reads {
    /** The end of the stream. */
    static final int EOF = -1;
    /** The read failed; the failure went to the caller's handler. */
    static final int FAILED = -2;

    private Reads() {}

    /**
     * @return the bytes read into {@code buffer}; 0 when there were none (fill interest is then registered, unless it
     *         already was), {@link #EOF}
     *         or {@link #FAILED} (after {@code failed} got the failure)
     */
    static int fill(AbstractConnection connection, ByteBuffer buffer, Consumer<Throwable> failed) {
        int filled;
        try {
            filled = connection.getEndPoint().fill(buffer);
        } catch (IOException e) {
            failed.accept(e);
            return FAILED;
        }
        if (filled == 0 && !connection.isFillInterested()) {
            connection.fillInterested();
        }
        return filled < 0 ? EOF : filled;
    }
}
