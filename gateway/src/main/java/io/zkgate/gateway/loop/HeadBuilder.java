package io.zkgate.gateway.loop;

import io.zkgate.gateway.routing.HeaderLines;
import java.nio.ByteBuffer;

/**
 * An HTTP/1.1 head written straight into ISO-8859-1 bytes, with no String in between. A character outside ISO-8859-1
 * becomes {@code ?}, as {@code String.getBytes(ISO_8859_1)} makes it, so no value can carry a CR or LF through a wide
 * character. A connection keeps one for its heads and writes each into the same array once the previous head is out
 * ({@link #start}). Confined to its event loop's thread.
 */
final class HeadBuilder implements HeaderLines {
    private static final byte[] NONE = {};

    /** What the first byte written allocates: a connection that never answers (idle, or silent) costs no array. */
    private final int capacity;
    private byte[] bytes = NONE;
    private int length;

    HeadBuilder(int capacity) {
        this.capacity = capacity;
    }

    /**
     * Starts a new head. While {@code previousUnwritten} (the last head from here may still be queued for writing),
     * the new one goes into a new array, leaving the old one to its write.
     */
    HeadBuilder start(boolean previousUnwritten) {
        if (previousUnwritten) {
            bytes = NONE;
        }
        length = 0;
        return this;
    }

    /** Starts a response head with its status line, {@code HTTP/1.1 code reason}. */
    HeadBuilder statusLine(boolean previousUnwritten, int code, String reason) {
        return start(previousUnwritten).append("HTTP/1.1 ").append(code).append(' ')
                .append(reason == null ? "" : reason).crlf();
    }

    HeadBuilder append(String s) {
        int n = s.length();
        ensure(n);
        byte[] b = bytes;
        int at = length;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            b[at + i] = c <= 0xFF ? (byte) c : (byte) '?';
        }
        length = at + n;
        return this;
    }

    HeadBuilder append(char c) {
        ensure(1);
        bytes[length++] = c <= 0xFF ? (byte) c : (byte) '?';
        return this;
    }

    HeadBuilder append(long n) {
        if (n < 0) {
            return append(Long.toString(n));
        }
        int digits = 1;
        for (long rest = n / 10; rest > 0; rest /= 10) {
            digits++;
        }
        ensure(digits);
        for (int i = length + digits - 1; i >= length; i--) {
            bytes[i] = (byte) ('0' + n % 10);
            n /= 10;
        }
        length += digits;
        return this;
    }

    HeadBuilder crlf() {
        ensure(2);
        bytes[length++] = '\r';
        bytes[length++] = '\n';
        return this;
    }

    @Override
    public void line(String name, String value) {
        append(name).append(": ").append(value).crlf();
    }

    /** The head so far, ending it with the blank line. */
    ByteBuffer end() {
        crlf();
        return ByteBuffer.wrap(bytes, 0, length);
    }

    private void ensure(int more) {
        if (length + more > bytes.length) {
            byte[] grown = new byte[Math.max(Math.max(bytes.length * 2, capacity), length + more)];
            System.arraycopy(bytes, 0, grown, 0, length);
            bytes = grown;
        }
    }
}
