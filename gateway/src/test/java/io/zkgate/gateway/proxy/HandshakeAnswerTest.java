package io.zkgate.gateway.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The backend's answer to a WebSocket handshake, read from the raw bytes the tunnel collects. */
class HandshakeAnswerTest {
    @Test
    void theHeadEndsAtItsBlankLineAndTheBytesAfterItStayForTheClient() {
        ByteBuffer bytes = bytes("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\nhello");

        int end = HandshakeAnswer.headEnd(bytes);
        HandshakeAnswer answer = HandshakeAnswer.read(bytes, end);

        assertEquals(101, answer.status());
        assertEquals("websocket", answer.headers().get("Upgrade"));
        assertEquals("hello", StandardCharsets.ISO_8859_1.decode(bytes).toString());
    }

    @Test
    void aHeadWithoutItsBlankLineYetHasNoEnd() {
        assertEquals(-1, HandshakeAnswer.headEnd(bytes("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n")));
    }

    @Test
    void aStatusLineThatDoesNotParseReadsAs502() {
        ByteBuffer bytes = bytes("SSH-2.0-OpenSSH\r\n\r\n");

        assertEquals(502, HandshakeAnswer.read(bytes, HandshakeAnswer.headEnd(bytes)).status());
    }

    @Test
    void contentLengthIsReadApartAndHopByHopHeadersAreNotPassedOn() {
        ByteBuffer bytes = bytes("HTTP/1.1 403 Forbidden\r\nContent-Length: 6\r\nTransfer-Encoding: identity\r\n"
                + "Keep-Alive: timeout=5\r\nX-Reason: token\r\n\r\ndenied");

        HandshakeAnswer answer = HandshakeAnswer.read(bytes, HandshakeAnswer.headEnd(bytes));

        assertEquals(403, answer.status());
        assertEquals(6, answer.contentLength());
        assertEquals("token", answer.headers().get("X-Reason"));
        assertNull(answer.headers().get("Content-Length"));
        assertNull(answer.headers().get("Transfer-Encoding"));
        assertNull(answer.headers().get("Keep-Alive"));
    }

    private static ByteBuffer bytes(String text) {
        return ByteBuffer.wrap(text.getBytes(StandardCharsets.ISO_8859_1));
    }
}
