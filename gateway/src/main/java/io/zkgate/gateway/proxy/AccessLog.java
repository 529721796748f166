package io.zkgate.gateway.proxy;

import io.zkgate.gateway.routing.HeaderEdits;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.RequestLog;
import org.eclipse.jetty.server.RequestLogWriter;
import org.eclipse.jetty.server.Response;

/**
 * Access log in NCSA extended (combined) format followed by route id, upstream address, upstream time in
 * milliseconds, request id and W3C trace id ("-" for none); the first field is the client's address as resolved
 * through the trusted proxies ({@link io.zkgate.gateway.routing.RequestView#clientIp()}):
 * <pre>127.0.0.1 - - [23/Nov/2026:11:42:31 +0000] "GET /demo/ HTTP/1.1" 200 7 "-" "curl/7.88" demo 127.0.0.1:40281 0.41 5f0c... 4bf9...</pre>
 * Off by default: it costs a formatted line per request. Thread-safe: the writers are.
 */
public final class AccessLog implements RequestLog {
    /** The request attribute under which a front door leaves the request's {@link Entry}. */
    public static final String ENTRY = AccessLog.class.getName() + ".entry";

    /** What a front door tells the access log about a request beyond what Jetty knows. */
    public interface Entry {
        /** The route id, or null when no route matched. */
        String routeId();

        /** {@code host:port} of the backend the request went to, or null. */
        String upstreamAddress();

        /** Nanoseconds from sending upstream to the end of the upstream exchange, or -1 if it never completed. */
        long upstreamNanos();

        /** The client's address as resolved through the trusted proxies, or null for the peer's. */
        default String clientIp() {
            return null;
        }

        /** The routing decision's header edits, which hold the request's id and trace id. */
        default HeaderEdits ids() {
            return HeaderEdits.NONE;
        }
    }

    /** The entry of a request answered without reaching a backend (refused, or answered by the gateway). */
    public record Unforwarded(String routeId, String clientIp, HeaderEdits ids) implements Entry {
        @Override
        public String upstreamAddress() {
            return null;
        }

        @Override
        public long upstreamNanos() {
            return -1;
        }
    }

    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.US).withZone(ZoneId.systemDefault());

    private final RequestLog.Writer writer;

    private AccessLog(RequestLog.Writer writer) {
        this.writer = writer;
    }

    /** @param target a file path, or {@code stdout} */
    public static AccessLog to(String target) {
        if (target.equals("stdout")) {
            PrintStream out = System.out;
            return new AccessLog(line -> {
                synchronized (out) {
                    out.println(line);
                }
            });
        }
        RequestLogWriter file = new RequestLogWriter(target);
        file.setAppend(true);
        try {
            file.start();
        } catch (Exception e) {
            throw new IllegalArgumentException("access log " + target + ": cannot open: " + e.getMessage(), e);
        }
        return new AccessLog(file);
    }

    @Override
    public void log(Request request, Response response) {
        Entry entry = (Entry) request.getAttribute(ENTRY);
        String client = entry == null ? null : entry.clientIp();
        log(client != null ? client : Request.getRemoteAddr(request), Request.getTimeStamp(request), request.getMethod(),
                request.getHttpURI().getPathQuery(), request.getConnectionMetaData().getProtocol(),
                response.getStatus(), Response.getContentBytesWritten(response),
                request.getHeaders().get(HttpHeader.REFERER), request.getHeaders().get(HttpHeader.USER_AGENT),
                entry);
    }

    /** Writes one line; for front doors that are not Jetty handlers (the event loop). */
    public void log(String remote, long timestampMs, String method, String pathQuery, String protocol, int status,
            long bytes, String referer, String userAgent, Entry exchange) {
        StringBuilder sb = new StringBuilder(256);
        sb.append(remote).append(" - - [").append(TIME.format(Instant.ofEpochMilli(timestampMs))).append("] \"")
                .append(method).append(' ').append(pathQuery).append(' ').append(protocol).append("\" ")
                .append(status).append(' ').append(bytes).append(" \"");
        quoted(sb, referer);
        sb.append("\" \"");
        quoted(sb, userAgent);
        sb.append("\" ");
        String route = exchange == null ? null : exchange.routeId();
        String upstream = exchange == null ? null : exchange.upstreamAddress();
        long nanos = exchange == null ? -1 : exchange.upstreamNanos();
        sb.append(route == null ? "-" : route).append(' ').append(upstream == null ? "-" : upstream).append(' ');
        if (nanos < 0) {
            sb.append('-');
        } else {
            sb.append(nanos / 1_000_000).append('.').append(String.format("%02d", (nanos / 10_000) % 100));
        }
        String requestId = exchange == null ? null : exchange.ids().requestId();
        String traceId = exchange == null ? null : exchange.ids().traceId();
        sb.append(' ').append(requestId == null ? "-" : requestId).append(' ').append(traceId == null ? "-" : traceId);
        try {
            writer.write(sb.toString());
        } catch (IOException e) {
            // One failed line is not worth failing the request; the writer logs persistent trouble itself.
        }
    }

    private static void quoted(StringBuilder sb, String v) {
        if (v == null) {
            sb.append('-');
        } else {
            for (int i = 0; i < v.length(); i++) {
                char c = v.charAt(i);
                sb.append(c == '"' ? '\'' : c < 0x20 ? ' ' : c);
            }
        }
    }
}
