package io.zkgate.gateway.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A backend on a plain server socket that answers each request with the exact bytes a test scripts, so responses
 * an HTTP library would never produce on purpose (interim 1xx, chunked with trailers, a close right after the
 * answer, a close of an idle keep-alive connection) can be proxied. It records every request as received (head and
 * de-chunked body, with the raw chunked bytes) and counts connections.
 * Thread-safe: the records are concurrent lists.
 */
public final class ScriptedBackend implements AutoCloseable {
    /** What the backend does with one request. */
    public record Reply(String bytes, boolean closeAfter) {
        public static Reply keepAlive(String bytes) {
            return new Reply(bytes, false);
        }

        public static Reply thenClose(String bytes) {
            return new Reply(bytes, true);
        }
    }

    /**
     * One request as the backend read it: its head (request line and headers), its raw body bytes, the connection it
     * came on (from 1) and its place among that connection's requests (from 1).
     */
    public record Received(String head, String rawBody, int connection, int sequence) {
        public String requestLine() {
            return head.substring(0, head.indexOf("\r\n"));
        }

        /** The value of header {@code name} (any case), or null. */
        public String header(String name) {
            for (String line : head.split("\r\n")) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
                    return line.substring(colon + 1).trim();
                }
            }
            return null;
        }
    }

    private final ServerSocket server;
    private final Function<Received, Reply> script;
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger closedByPeer = new AtomicInteger();

    private ScriptedBackend(Function<Received, Reply> script) throws IOException {
        this.script = script;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::accept, "backend-scripted");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public static ScriptedBackend start(Function<Received, Reply> script) throws IOException {
        return new ScriptedBackend(script);
    }

    public int port() {
        return server.getLocalPort();
    }

    public List<Received> received() {
        return List.copyOf(received);
    }

    /** Connections accepted so far. */
    public int connections() {
        return connections.get();
    }

    /** Connections the peer (the gateway) closed between requests. */
    public int closedByPeer() {
        return closedByPeer.get();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                int id = connections.incrementAndGet();
                Thread t = new Thread(() -> serve(socket, id), "backend-scripted-" + id);
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket socket, int id) {
        try (socket) {
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            for (int sequence = 1; ; sequence++) {
                String head = readUntil(in, "\r\n\r\n");
                if (head == null) {
                    closedByPeer.incrementAndGet();
                    return;
                }
                String body = readBody(in, head);
                Received r = new Received(head, body, id, sequence);
                received.add(r);
                Reply reply = script.apply(r);
                out.write(reply.bytes().getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                if (reply.closeAfter()) {
                    return;
                }
            }
        } catch (IOException e) {
            // the peer went away
        }
    }

    private static String readBody(InputStream in, String head) throws IOException {
        String lower = head.toLowerCase(Locale.ROOT);
        if (lower.contains("transfer-encoding: chunked")) {
            StringBuilder raw = new StringBuilder();
            while (true) {
                String sizeLine = readUntil(in, "\r\n");
                raw.append(sizeLine);
                int size = Integer.parseInt(sizeLine.trim().split(";")[0], 16);
                if (size == 0) {
                    String trailers = readUntilBlankLine(in);
                    raw.append(trailers);
                    return raw.toString();
                }
                raw.append(new String(in.readNBytes(size + 2), StandardCharsets.ISO_8859_1));
            }
        }
        int at = lower.indexOf("content-length:");
        if (at < 0) {
            return "";
        }
        int eol = lower.indexOf("\r\n", at);
        int length = Integer.parseInt(lower.substring(at + 15, eol).trim());
        return new String(in.readNBytes(length), StandardCharsets.ISO_8859_1);
    }

    /** The lines after a last chunk, up to and including the blank line. */
    private static String readUntilBlankLine(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        while (true) {
            String line = readUntil(in, "\r\n");
            if (line == null) {
                return sb.toString();
            }
            sb.append(line);
            if (line.equals("\r\n")) {
                return sb.toString();
            }
        }
    }

    /** Reads through {@code end} (included); null at the end of the stream. */
    private static String readUntil(InputStream in, String end) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        byte[] e = end.getBytes(StandardCharsets.ISO_8859_1);
        int matched = 0;
        for (int b; (b = in.read()) >= 0; ) {
            buf.write(b);
            matched = b == e[matched] ? matched + 1 : (b == e[0] ? 1 : 0);
            if (matched == e.length) {
                return buf.toString(StandardCharsets.ISO_8859_1);
            }
        }
        return null;
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
