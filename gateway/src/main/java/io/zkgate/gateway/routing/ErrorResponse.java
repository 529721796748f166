package io.zkgate.gateway.routing;

import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The contract's JSON error bodies: {@code {"status":503,"error":"no_instances","route":"orders","message":"..."}},
 * followed, for a request that was routed with request ids on, by {@code "requestId":"...","traceId":"..."}.
 * Stateless.
 */
public enum ErrorResponse {
    NO_ROUTE(404, "no_route"),
    NO_INSTANCES(503, "no_instances"),
    UPSTREAM_UNREACHABLE(502, "upstream_unreachable"),
    UPSTREAM_TIMEOUT(504, "upstream_timeout"),
    SCRIPT_ERROR(500, "script_error"),
    BODY_TOO_LARGE(413, "body_too_large"),
    UPGRADE_NOT_SUPPORTED(501, "upgrade_not_supported"),
    BAD_PATH(400, "bad_path"),
    NOT_READY(503, "not_ready"),
    METHOD_NOT_ALLOWED(405, "method_not_allowed"),
    /** The route's IP rules refuse the client's address. */
    FORBIDDEN(403, "forbidden"),
    RATE_LIMITED(429, "rate_limited"),
    OVERLOADED(503, "overloaded"),
    UNAUTHORIZED(401, "unauthorized"),
    AUTH_PENDING(503, "auth_pending"),
    /** Not an error: a plain-HTTP request sent to HTTPS (with a Location header), in the same body shape. */
    HTTPS_REDIRECT(308, "https_redirect");

    private final int status;
    private final String code;

    ErrorResponse(int status, String code) {
        this.status = status;
        this.code = code;
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    /** The JSON body; {@code route} may be null (no route matched). */
    public String body(String route, String message) {
        return body(status, code, route, message);
    }

    /** The JSON body with the request's id and trace id from {@code ids} (the decision's edits), when it has them. */
    public String body(String route, String message, HeaderEdits ids) {
        return body(status, code, route, message, ids.requestId(), ids.traceId());
    }

    /** The contract's body for any status and code; {@code route} may be null. */
    public static String body(int status, String code, String route, String message) {
        return body(status, code, route, message, null, null);
    }

    /** The contract's body; {@code route}, {@code requestId} and {@code traceId} may be null (left out when null). */
    public static String body(int status, String code, String route, String message, String requestId,
            String traceId) {
        StringBuilder sb = new StringBuilder(160 + message.length());
        sb.append("{\"status\":").append(status).append(",\"error\":\"").append(code).append("\",\"route\":");
        if (route == null) {
            sb.append("null");
        } else {
            quote(sb, route);
        }
        sb.append(",\"message\":");
        quote(sb, message);
        if (requestId != null) {
            sb.append(",\"requestId\":");
            quote(sb, requestId);
        }
        if (traceId != null) {
            sb.append(",\"traceId\":");
            quote(sb, traceId);
        }
        return sb.append("}\n").toString();
    }

    /** Writes the status and body; the caller completes the exchange. */
    public void write(HttpServletResponse response, String route, String message) throws IOException {
        write(response, route, message, HeaderEdits.NONE);
    }

    /** Writes the status and body with the request's ids; the caller completes the exchange. */
    public void write(HttpServletResponse response, String route, String message, HeaderEdits ids)
            throws IOException {
        byte[] body = body(route, message, ids).getBytes(StandardCharsets.UTF_8);
        response.setStatus(status);
        response.setContentType("application/json");
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }

    /** Writes the status and body through Jetty's core API, completing {@code callback}. */
    public void write(Response response, Callback callback, String route, String message) {
        write(response, callback, route, message, HeaderEdits.NONE);
    }

    /** Writes the status and body with the request's ids through Jetty's core API, completing {@code callback}. */
    public void write(Response response, Callback callback, String route, String message, HeaderEdits ids) {
        byte[] body = body(route, message, ids).getBytes(StandardCharsets.UTF_8);
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        response.write(true, ByteBuffer.wrap(body), callback);
    }

    static void quote(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
