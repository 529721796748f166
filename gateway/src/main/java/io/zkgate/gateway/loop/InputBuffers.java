package io.zkgate.gateway.loop;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import org.eclipse.jetty.util.BufferUtil;

/**
 * One event loop's spare client input buffers. A client connection holds one only while it has bytes to parse or an
 * exchange under way, so a connection idle between requests (or one that never sends) costs no buffer: before, each
 * held 16 KiB for its whole life, and some 13,000 idle connections filled the launcher's 256 MB heap. The last buffer
 * given back is the first taken, still warm in the cache. Buffers are direct: the socket fills them in place, where a
 * heap buffer is filled through a temporary direct buffer of the JDK's and copied. Confined to its event loop's
 * thread, as the loop's {@link UpstreamPool} is: no lock on the request path.
 */
final class InputBuffers {
    /** Spares kept beyond what the loop's busy connections hold; a burst's extra buffers are left to the collector. */
    private static final int MAX_SPARE = 64;

    private final ArrayDeque<ByteBuffer> spare = new ArrayDeque<>();

    ByteBuffer take() {
        ByteBuffer buffer = spare.pollFirst();
        return buffer != null ? buffer : BufferUtil.allocateDirect(ClientConnection.INPUT_BYTES);
    }

    /** {@code buffer} must be empty and referenced by nothing else (no slice of it in a pending write). */
    void give(ByteBuffer buffer) {
        if (spare.size() < MAX_SPARE) {
            BufferUtil.clear(buffer);
            spare.offerFirst(buffer);
        }
    }
}
