package io.zkgate.gateway.scripting;

import io.zkgate.schema.CanonicalPath;
import io.zkgate.gateway.routing.HeaderLines;
import io.zkgate.gateway.routing.RequestView;
import io.zkgate.gateway.routing.ResponseView;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaString;

/**
 * One request's encounter with a route's script: what {@code on_request} asked for (header edits, upstream path,
 * hash key, a direct answer) or why it failed, read by the proxy afterwards; and the request the script sees.
 * Confined to its request: the proxy's hooks for one request run one after another.
 */
public final class ScriptExchange {
    private static final String DEFAULT_CONTENT_TYPE = "text/plain; charset=utf-8";

    private final RouteScript binding;
    /** The request the script sees, whatever front door it came through. */
    private final RequestView request;
    /** Whether on_request is over: the request-changing functions then refuse. */
    boolean requestDone;

    private String[] edits;
    private int editCount;
    private String upstreamPath;
    private String hashKey;
    private int respondStatus;
    private String[] respondHeaders;
    private LuaString respondBody;
    private String failure;

    // Values the script read, kept so that reading twice converts once.
    LuaString method;
    LuaString path;
    LuaString query;
    LuaString clientIp;

    ScriptExchange(RouteScript binding, RequestView request) {
        this.binding = binding;
        this.request = request;
    }

    /** The request the script sees; its path is the canonical one, which the route was matched on. */
    RequestView request() {
        return request;
    }

    // ---- for the proxy ------------------------------------------------------------------------------------------

    /** Whether the script failed or is unavailable: the request must be answered with 500 script_error. */
    public boolean failed() {
        return failure != null;
    }

    /** For the script_error body: names the script and says what went wrong. */
    public String failure() {
        return failure;
    }

    /** The status the script answered with {@code req.respond}, or 0. */
    public int respondedStatus() {
        return respondStatus;
    }

    /** Whether on_request answered with {@code req.respond}: no backend is contacted. */
    public boolean responded() {
        return respondStatus != 0;
    }

    /** Writes the answer the script gave with {@code req.respond}; the caller completes the exchange. */
    public void writeResponse(HttpServletResponse response) throws IOException {
        response.setStatus(respondStatus);
        for (int i = 0; respondHeaders != null && i < respondHeaders.length; i += 2) {
            response.addHeader(respondHeaders[i], respondHeaders[i + 1]);
        }
        if (needsDefaultType()) {
            response.setContentType(DEFAULT_CONTENT_TYPE);
        }
        response.setContentLength(bodyLength());
        if (bodyLength() > 0) {
            response.getOutputStream().write(respondBody.m_bytes, respondBody.m_offset, respondBody.m_length);
        }
    }

    /** Writes the answer the script gave with {@code req.respond} through Jetty's core API (a WebSocket handshake). */
    public void writeResponse(Response response, Callback callback) {
        response.setStatus(respondStatus);
        for (int i = 0; respondHeaders != null && i < respondHeaders.length; i += 2) {
            response.getHeaders().add(respondHeaders[i], respondHeaders[i + 1]);
        }
        if (needsDefaultType()) {
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, DEFAULT_CONTENT_TYPE);
        }
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bodyLength());
        response.write(true, bodyLength() == 0 ? BufferUtil.EMPTY_BUFFER
                : ByteBuffer.wrap(respondBody.m_bytes, respondBody.m_offset, respondBody.m_length), callback);
    }

    /**
     * The script's answer for a front door that writes raw HTTP: gives its headers, a line each,
     * to {@code headers} (the default Content-Type when it gave a body without one) and returns its body.
     */
    public byte[] respondedBody(HeaderLines headers) {
        for (int i = 0; respondHeaders != null && i < respondHeaders.length; i += 2) {
            headers.line(respondHeaders[i], respondHeaders[i + 1]);
        }
        if (needsDefaultType()) {
            headers.line("Content-Type", DEFAULT_CONTENT_TYPE);
        }
        return bodyLength() == 0 ? new byte[0]
                : Arrays.copyOfRange(respondBody.m_bytes, respondBody.m_offset, respondBody.m_offset + bodyLength());
    }

    private int bodyLength() {
        return respondBody == null ? 0 : respondBody.m_length;
    }

    /** A body the script gave without a Content-Type among its headers gets the default one. */
    private boolean needsDefaultType() {
        if (bodyLength() == 0) {
            return false;
        }
        for (int i = 0; respondHeaders != null && i < respondHeaders.length; i += 2) {
            if (respondHeaders[i].equalsIgnoreCase("Content-Type")) {
                return false;
            }
        }
        return true;
    }

    /** The consistent-hash key the script set, or null. */
    public String hashKey() {
        return hashKey;
    }

    /** The upstream path the script set (replacing the route's path, after any prefix strip), or null. */
    public String upstreamPath() {
        return upstreamPath;
    }

    public boolean hasHeaderEdits() {
        return editCount > 0;
    }

    /** Applies the script's header edits, in order, to the upstream request's headers. */
    public void applyHeaderEdits(HttpFields.Mutable headers) {
        for (int i = 0; i < editCount; i += 2) {
            if (edits[i + 1] == null) {
                headers.remove(edits[i]);
            } else {
                headers.put(edits[i], edits[i + 1]);
            }
        }
    }

    /** Whether the script has an {@code on_response} to run when the backend's headers arrive. */
    public boolean hasOnResponse() {
        return binding.hasOnResponse();
    }

    /**
     * Runs {@code on_response} on the response headers copied from the backend, before anything is sent.
     *
     * @return false when the script failed; {@link #failure()} then says why
     */
    public boolean onResponse(ResponseView response, int status) {
        return binding.onResponse(this, response, status);
    }

    // ---- for the script's req functions -------------------------------------------------------------------------

    RouteScript binding() {
        return binding;
    }

    void fail(String message) {
        failure = message;
    }

    /** The header as the upstream request will carry it: the script's own edits first, else the client's. */
    String header(String name) {
        for (int i = editCount - 2; i >= 0; i -= 2) {
            if (edits[i].equalsIgnoreCase(name)) {
                return edits[i + 1];
            }
        }
        return request.header(name);
    }

    /** Records a header edit; {@code name} and {@code value} were checked by the caller. */
    void editHeader(String name, String value) {
        checkRequestPhase("set_header/remove_header");
        if (edits == null) {
            edits = new String[8];
        } else if (editCount == edits.length) {
            edits = Arrays.copyOf(edits, editCount * 2);
        }
        edits[editCount++] = name;
        edits[editCount++] = value;
    }

    void setUpstreamPath(String p) {
        checkRequestPhase("set_path");
        if (p.isEmpty() || p.charAt(0) != '/') {
            throw new LuaError("set_path: '" + p + "' (expected: a path starting with '/')");
        }
        for (int i = 0; i < p.length(); i++) {
            char c = p.charAt(i);
            if (c <= ' ' || c == 0x7f || c == '?' || c == '#') {
                throw new LuaError("set_path: character " + (int) c + " at " + (i + 1) + " (expected: a path "
                        + "without spaces, control characters, '?' or '#'; the query is kept as it was)");
            }
        }
        try {
            upstreamPath = CanonicalPath.of(p);
        } catch (CanonicalPath.BadPathException e) {
            throw new LuaError("set_path: '" + p + "' has no canonical form: " + e.getMessage());
        }
    }

    void setHashKey(String key) {
        checkRequestPhase("set_hash_key");
        hashKey = key;
    }

    void respond(int status, String[] headers, LuaString body) {
        checkRequestPhase("respond");
        if (status < 200 || status > 599) {
            throw new LuaError("respond: status " + status + " (expected: 200-599)");
        }
        if ((status == 204 || status == 304) && body != null && body.m_length > 0) {
            throw new LuaError("respond: a " + status + " response has no body");
        }
        if (headers != null) {
            for (int i = 0; i < headers.length; i += 2) {
                checkHeaderName(headers[i]);
                checkHeaderValue(headers[i], headers[i + 1]);
            }
        }
        respondStatus = status;
        respondHeaders = headers;
        respondBody = body;
    }

    private void checkRequestPhase(String what) {
        if (requestDone) {
            throw new LuaError("req." + what + " is only available in on_request");
        }
    }

    static void checkHeaderName(String name) {
        if (name.isEmpty()) {
            throw new LuaError("header name is empty");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean token = c < 0x7f && (Character.isLetterOrDigit(c) || "!#$%&'*+-.^_`|~".indexOf(c) >= 0);
            if (!token) {
                throw new LuaError("header name '" + name + "': character " + (int) c + " is not allowed");
            }
        }
        if (name.equalsIgnoreCase("Content-Length") || name.equalsIgnoreCase("Transfer-Encoding")
                || name.equalsIgnoreCase("Connection")) {
            throw new LuaError("header " + name + " is managed by the gateway and cannot be set by scripts");
        }
    }

    static void checkHeaderValue(String name, String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\r' || c == '\n' || c == 0) {
                throw new LuaError("header " + name + ": value contains a line break or NUL");
            }
        }
    }

    /**
     * The first value of query parameter {@code name} in a raw query string, decoded ({@code +} is a space); ""
     * for a parameter without '='; null when absent. Parses the query only: reading a form body would consume it.
     */
    static String queryParam(String query, String name) {
        if (query == null) {
            return null;
        }
        int n = query.length();
        int i = 0;
        while (i <= n) {
            int amp = query.indexOf('&', i);
            if (amp < 0) {
                amp = n;
            }
            int eq = query.indexOf('=', i);
            if (eq < 0 || eq > amp) {
                eq = amp;
            }
            if (keyMatches(query, i, eq, name)) {
                return eq == amp ? "" : decode(query, eq + 1, amp);
            }
            i = amp + 1;
        }
        return null;
    }

    private static boolean keyMatches(String query, int from, int to, String name) {
        if (!encoded(query, from, to)) {
            return to - from == name.length() && query.startsWith(name, from);
        }
        return decode(query, from, to).equals(name);
    }

    /** {@code query} from {@code from} to {@code to}, decoded; a part without escapes skips URLDecoder. */
    private static String decode(String query, int from, int to) {
        String s = query.substring(from, to);
        if (!encoded(query, from, to)) {
            return s;
        }
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return s; // a malformed escape: give the raw text rather than fail the request
        }
    }

    private static boolean encoded(String query, int from, int to) {
        for (int i = from; i < to; i++) {
            char c = query.charAt(i);
            if (c == '%' || c == '+') {
                return true;
            }
        }
        return false;
    }
}
