package io.zkgate.gateway.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A client that sends exactly the bytes it is given, for requests a client library would normalize or refuse to
 * send (odd path spellings, smuggling attempts), and reads one response: up to the end of its Content-Length body,
 * its last chunk, or the connection's close.
 */
public final class RawHttp {
    private RawHttp() {}

    /** Sends {@code request} (ISO-8859-1) to 127.0.0.1:{@code port} on a new connection and returns the answer. */
    public static String exchange(int port, String request) throws Exception {
        return exchange("127.0.0.1", port, request);
    }

    /** Sends {@code request} to {@code host} (an address literal, such as ::1) on a new connection. */
    public static String exchange(String host, int port, String request) throws Exception {
        try (Socket s = new Socket(host, port)) {
            s.setSoTimeout(5_000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            byte[] chunk = new byte[8192];
            try {
                for (int n; (n = in.read(chunk)) > 0; ) {
                    buf.write(chunk, 0, n);
                    if (complete(buf.toString(StandardCharsets.ISO_8859_1))) {
                        break;
                    }
                }
            } catch (SocketTimeoutException | SocketException e) {
                // the answer so far is what the caller checks
            }
            return buf.toString(StandardCharsets.ISO_8859_1);
        }
    }

    /**
     * Sends a GET of {@code path} for {@code host} on {@code socket}, left open for the next one, and reads its
     * response (ISO-8859-1): through its Content-Length body or last chunk, or to the connection's close once the
     * head is in.
     */
    public static String get(Socket socket, String path, String host) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        InputStream in = socket.getInputStream();
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        byte[] chunk = new byte[8192];
        String read = "";
        while (!complete(read)) {
            int n = in.read(chunk);
            if (n < 0) {
                if (read.contains("\r\n\r\n")) {
                    return read;
                }
                throw new IOException("connection closed after " + buf.size() + " bytes of the answer to " + path);
            }
            buf.write(chunk, 0, n);
            read = buf.toString(StandardCharsets.ISO_8859_1);
        }
        return read;
    }

    /**
     * One keep-alive connection that sends GETs one at a time and reads each answer, on the calling thread: a probe
     * that costs the process it runs in next to nothing between requests. Not thread-safe.
     */
    public static final class KeepAlive implements java.io.Closeable {
        private final Socket socket;

        public KeepAlive(int port) throws IOException {
            socket = new Socket("127.0.0.1", port);
            socket.setSoTimeout(5_000);
            socket.setTcpNoDelay(true);
        }

        /** The status of a GET of {@code path}. */
        public int get(String path) throws IOException {
            return status(RawHttp.get(socket, path, "127.0.0.1"));
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /** Reads {@code in} byte by byte (ISO-8859-1) through {@code end}, included; what came when the stream ends first. */
    public static String readThrough(InputStream in, String end) throws IOException {
        StringBuilder read = new StringBuilder();
        while (!read.toString().endsWith(end)) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            read.append((char) b);
        }
        return read.toString();
    }

    /** Whether {@code s} holds a whole response: its head and, by Content-Length or chunked framing, its body. */
    static boolean complete(String s) {
        int end = s.indexOf("\r\n\r\n");
        if (end < 0) {
            return false;
        }
        String head = s.substring(0, end).toLowerCase(Locale.ROOT);
        if (head.startsWith("http/1.1 101")) {
            return true;
        }
        int cl = head.indexOf("content-length:");
        if (cl < 0) {
            if (head.contains("transfer-encoding: chunked")) {
                return s.endsWith("\r\n\r\n") && s.lastIndexOf("\r\n0\r\n") > end || s.endsWith("0\r\n\r\n");
            }
            int status = Integer.parseInt(head.substring(9, 12));
            return status == 204 || status == 304 || status < 200; // otherwise the body runs to the close
        }
        int eol = head.indexOf("\r\n", cl);
        int length = Integer.parseInt(head.substring(cl + 15, eol < 0 ? head.length() : eol).trim());
        return s.length() - end - 4 >= length;
    }

    /** The response's status code. */
    public static int status(String response) {
        return Integer.parseInt(response.substring(9, 12));
    }

    /** Every value of response header {@code name} (any case), in order; empty when absent. */
    public static List<String> headers(String response, String name) {
        int end = response.indexOf("\r\n\r\n");
        List<String> values = new ArrayList<>();
        for (String line : (end < 0 ? response : response.substring(0, end)).split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
                values.add(line.substring(colon + 1).trim());
            }
        }
        return values;
    }

    /** The first value of response header {@code name} (any case), or null. */
    public static String header(String response, String name) {
        List<String> values = headers(response, name);
        return values.isEmpty() ? null : values.get(0);
    }

    /** The response's body (after the head). */
    public static String body(String response) {
        int end = response.indexOf("\r\n\r\n");
        return end < 0 ? "" : response.substring(end + 4);
    }
}
