package io.zkgate.gateway.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A backend on a plain server socket that records the exact request line of every request it receives, byte for
 * byte, before any HTTP library could decode or reject it, and answers 200 with its name and that request target
 * in the body. A WebSocket handshake gets a valid 101. Requests with a body must declare Content-Length.
 * Thread-safe: the record is a concurrent list.
 */
public final class RecordingBackend implements AutoCloseable {
    private static final String WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    private final String name;
    private final ServerSocket server;
    private final List<String> requestLines = new CopyOnWriteArrayList<>();

    private RecordingBackend(String name) throws IOException {
        this.name = name;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::accept, "backend-" + name);
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public static RecordingBackend start(String name) throws IOException {
        return new RecordingBackend(name);
    }

    public int port() {
        return server.getLocalPort();
    }

    /** Every request line received so far, such as {@code GET /admin/x HTTP/1.1}. */
    public List<String> requestLines() {
        return List.copyOf(requestLines);
    }

    /** The request target (path and query) of each request received so far. */
    public List<String> targets() {
        return requestLines.stream().map(l -> l.split(" ")[1]).toList();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                Thread t = new Thread(() -> serve(socket), "backend-" + name + "-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            while (true) {
                String head = readHead(in);
                if (head == null) {
                    return;
                }
                String[] lines = head.split("\r\n");
                requestLines.add(lines[0]);
                String key = header(lines, "sec-websocket-key");
                if (key != null) {
                    out.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                            + "Sec-WebSocket-Accept: " + accept(key) + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                    in.transferTo(OutputStream.nullOutputStream());
                    return;
                }
                String length = header(lines, "content-length");
                if (length != null) {
                    in.readNBytes(Integer.parseInt(length.trim()));
                }
                byte[] body = (name + " " + lines[0].split(" ")[1]).getBytes(StandardCharsets.UTF_8);
                out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + body.length + "\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
                out.write(body);
                out.flush();
            }
        } catch (IOException e) {
            // the peer went away
        }
    }

    /** Reads up to the blank line; null at the end of the stream. */
    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        for (int b; (b = in.read()) >= 0; ) {
            head.write(b);
            matched = (b == '\r' && matched % 2 == 0) || (b == '\n' && matched % 2 == 1) ? matched + 1 : 0;
            if (matched == 4) {
                return head.toString(StandardCharsets.ISO_8859_1);
            }
        }
        return null;
    }

    private static String header(String[] lines, String lowerName) {
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0 && lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT).equals(lowerName)) {
                return lines[i].substring(colon + 1).trim();
            }
        }
        return null;
    }

    private static String accept(String key) {
        try {
            byte[] sha1 = MessageDigest.getInstance("SHA-1")
                    .digest((key + WEBSOCKET_GUID).getBytes(StandardCharsets.ISO_8859_1));
            return Base64.getEncoder().encodeToString(sha1);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
