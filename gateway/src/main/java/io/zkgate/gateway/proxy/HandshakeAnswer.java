package io.zkgate.gateway.proxy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpFields;

/**
 * The head of the backend's answer to a WebSocket handshake, read from the raw bytes {@link WebSocketTunnel}
 * collects before the connection becomes a tunnel. A status line that does not parse reads as 502.
 *
 * @param status        the backend's status
 * @param contentLength its Content-Length, or -1
 * @param headers       its headers for the client, without Content-Length, Transfer-Encoding and Keep-Alive
 */
record HandshakeAnswer(int status, long contentLength, HttpFields headers) {

    /** Index just past the blank line that ends the head starting at {@code bytes}' position, or -1. */
    static int headEnd(ByteBuffer bytes) {
        for (int i = bytes.position(); i + 3 < bytes.limit(); i++) {
            if (bytes.get(i) == '\r' && bytes.get(i + 1) == '\n' && bytes.get(i + 2) == '\r'
                    && bytes.get(i + 3) == '\n') {
                return i + 4;
            }
        }
        return -1;
    }

    /** Reads the head from {@code bytes}' position up to {@code end}, and moves the position to {@code end}. */
    static HandshakeAnswer read(ByteBuffer bytes, int end) {
        String text = new String(bytes.array(), bytes.arrayOffset() + bytes.position(), end - bytes.position(),
                StandardCharsets.ISO_8859_1);
        bytes.position(end);
        String[] lines = text.split("\r\n");
        String[] statusLine = lines[0].split(" ", 3);
        int status = statusLine.length >= 2 && statusLine[1].matches("[1-5]\\d\\d")
                ? Integer.parseInt(statusLine[1]) : 502;
        long contentLength = -1;
        HttpFields.Mutable headers = HttpFields.build();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon <= 0) {
                continue;
            }
            String name = lines[i].substring(0, colon).trim();
            String value = lines[i].substring(colon + 1).trim();
            if (name.equalsIgnoreCase("Content-Length")) {
                contentLength = value.matches("\\d{1,9}") ? Long.parseLong(value) : -1;
            } else if (!name.equalsIgnoreCase("Transfer-Encoding") && !name.equalsIgnoreCase("Keep-Alive")) {
                headers.add(name, value);
            }
        }
        return new HandshakeAnswer(status, contentLength, headers);
    }
}
