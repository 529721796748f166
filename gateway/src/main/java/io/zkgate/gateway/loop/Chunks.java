package io.zkgate.gateway.loop;

import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.util.BufferUtil;

/**
 * Chunked framing (RFC 9112, 7.1) as the event loop writes it, to backends and to clients alike: the size line
 * before a chunk, the CRLF after it, and the last chunk with its trailer fields. Stateless.
 */
final class Chunks {
    private static final ByteBuffer LAST_CHUNK = BufferUtil.toBuffer("0\r\n\r\n").asReadOnlyBuffer();
    private static final ByteBuffer CRLF = BufferUtil.toBuffer("\r\n").asReadOnlyBuffer();

    private Chunks() {}

    /** The line that opens a chunk of {@code bytes} bytes. */
    static ByteBuffer sizeLine(int bytes) {
        return BufferUtil.toBuffer(Integer.toHexString(bytes) + "\r\n");
    }

    /** The CRLF that closes a chunk. */
    static ByteBuffer end() {
        return CRLF.slice();
    }

    /** The last chunk, with trailer fields when there are any. */
    static ByteBuffer last(HttpFields trailers) {
        if (trailers == null || trailers.size() == 0) {
            return LAST_CHUNK.slice();
        }
        HeadBuilder last = new HeadBuilder(128).append('0').crlf();
        for (HttpField field : trailers) {
            last.line(field.getName(), field.getValue());
        }
        return last.end();
    }
}
