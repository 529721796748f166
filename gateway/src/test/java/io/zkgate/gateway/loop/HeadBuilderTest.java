package io.zkgate.gateway.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class HeadBuilderTest {
    private static String text(ByteBuffer buffer) {
        return StandardCharsets.ISO_8859_1.decode(buffer).toString();
    }

    @Test
    void writesTheHeadAsIso88591AndAWideCharacterCannotBecomeALineBreak() {
        HeadBuilder head = new HeadBuilder(8).statusLine(false, 200, "OK");
        head.line("X-Latin", "caf\u00e9");
        head.line("X-Wide", "a\u010ab\u010dc"); // U+010A's low byte is LF, U+010D's is CR
        head.append("Content-Length: ").append(1234567890123L).crlf();
        head.append("Zero: ").append(0).crlf();
        head.line("Null-Reason", "");
        assertEquals("HTTP/1.1 200 OK\r\nX-Latin: caf\u00e9\r\nX-Wide: a?b?c\r\nContent-Length: 1234567890123\r\n"
                + "Zero: 0\r\nNull-Reason: \r\n\r\n", text(head.end()), "grown from 8 bytes as it went");
        assertEquals("HTTP/1.1 502 \r\n\r\n", text(new HeadBuilder(4).statusLine(false, 502, null).end()));
    }

    @Test
    void aHeadStillQueuedForWritingKeepsItsBytesWhenTheNextOneIsWritten() {
        HeadBuilder head = new HeadBuilder(64);
        ByteBuffer first = head.start(false).append("first").end();
        ByteBuffer queued = head.start(true).append("second").end();
        ByteBuffer third = head.start(true).append("third!").end();
        assertEquals(64, first.array().length, "the first head made the array, of the builder's capacity");
        assertEquals("first\r\n", text(first.duplicate()), "a written head's array was taken by the next one");
        assertEquals("second\r\n", text(queued));
        assertNotSame(queued.array(), third.array());
        ByteBuffer reused = head.start(false).append("4th").end();
        assertSame(third.array(), reused.array(), "the array is reused once the last head is written");
        assertEquals("4th\r\n", text(reused));
    }
}
