package io.zkgate.gateway.routing;

import jakarta.servlet.http.HttpServletResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import org.eclipse.jetty.http.HttpFields;

/**
 * Header changes a route's policies ask of the front door for one request: headers set on or removed from the
 * request sent upstream (a verified identity, a request id; a credential removed), and headers added to the
 * response the client gets, whether the backend's or the gateway's own (CORS, rate-limit state, {@code Allow}).
 * The router's steps write it while deciding; once the {@link Decision} is returned the front door only reads it.
 * Every front door applies it the same way: upstream edits after the gateway's own forwarding headers and before
 * the route's Lua edits, response headers after the backend's (so a policy's header wins over a backend's of the
 * same name, except where {@link #addResponse} adds beside it, as {@code Vary} needs).
 * Confined to its request.
 */
public final class HeaderEdits {
    /** No edits; shared, never written. */
    public static final HeaderEdits NONE = new HeaderEdits(true);

    private record Edit(String name, String value, boolean add) {}

    private final boolean frozen;
    private List<Edit> upstream;
    private List<Edit> response;
    /** The request's id and the gateway's traceparent, each set upstream and on the response before any edit. */
    private String requestId;
    private String traceparent;
    private String hashKey;
    /** An OpenTelemetry {@code Span}, typed Object so that no OpenTelemetry class loads while export is off. */
    private Object span;

    public HeaderEdits() {
        this(false);
    }

    private HeaderEdits(boolean frozen) {
        this.frozen = frozen;
    }

    /** Sets header {@code name} on the request sent upstream, replacing what the client sent. */
    public HeaderEdits setUpstream(String name, String value) {
        upstream = add(upstream, new Edit(name, value, false));
        return this;
    }

    /** Removes header {@code name} from the request sent upstream. */
    public HeaderEdits removeUpstream(String name) {
        upstream = add(upstream, new Edit(name, null, false));
        return this;
    }

    /** Sets header {@code name} on the client's response, replacing the backend's. */
    public HeaderEdits setResponse(String name, String value) {
        response = add(response, new Edit(name, value, false));
        return this;
    }

    /** Removes header {@code name} from the client's response (the backend's, or an earlier edit's). */
    public HeaderEdits removeResponse(String name) {
        response = add(response, new Edit(name, null, false));
        return this;
    }

    /** Adds header {@code name} to the client's response beside any the backend sent (e.g. {@code Vary}). */
    public HeaderEdits addResponse(String name, String value) {
        response = add(response, new Edit(name, value, true));
        return this;
    }

    /**
     * Sets the request's id and the gateway's {@code traceparent} ({@link RequestTracing}) on the request sent
     * upstream and on the response, as the first edits of each. Kept as two fields rather than four edits: every
     * request has them, so they cost no list, no edit records and one comparison per header name.
     */
    HeaderEdits ids(String requestId, String traceparent) {
        if (frozen) {
            throw new UnsupportedOperationException("HeaderEdits.NONE is shared; make a new HeaderEdits");
        }
        this.requestId = requestId;
        this.traceparent = traceparent;
        return this;
    }

    /** The request's {@code X-Request-Id}, or null when request ids are off or the request was not routed. */
    public String requestId() {
        return requestId;
    }

    /** The request's W3C trace id (32 hex digits), or null when request ids are off or it was not routed. */
    public String traceId() {
        return traceparent == null ? null : traceparent.substring(3, 35);
    }

    /**
     * The upstream edits as HTTP/1.1 header lines, for a front door that writes heads itself and left out the
     * client's fields these edits name ({@link #editsUpstream}): a name's last edit decides (set: its value, remove:
     * nothing).
     */
    public void appendUpstreamLines(HeaderLines head) {
        appendIdLines(upstream, head);
        if (upstream != null) {
            writeLines(upstream, head);
        }
    }

    private List<Edit> add(List<Edit> edits, Edit edit) {
        if (frozen) {
            throw new UnsupportedOperationException("HeaderEdits.NONE is shared; make a new HeaderEdits");
        }
        List<Edit> list = edits == null ? new ArrayList<>(4) : edits;
        list.add(edit);
        return list;
    }

    /** Sets the consistent-hash key a policy derived (a verified JWT claim); a script's {@code set_hash_key} wins. */
    public HeaderEdits hashKey(String key) {
        if (frozen) {
            throw new UnsupportedOperationException("HeaderEdits.NONE is shared; make a new HeaderEdits");
        }
        hashKey = key;
        return this;
    }

    /** The hash key a policy set, or null. */
    public String hashKey() {
        return hashKey;
    }

    public boolean hasUpstream() {
        return upstream != null || requestId != null;
    }

    public boolean hasResponse() {
        return response != null || requestId != null;
    }

    /** Applies the upstream edits, in the order they were asked, to the request's fields. */
    public void applyUpstream(HttpFields.Mutable fields) {
        if (requestId != null) {
            fields.put(RequestTracing.REQUEST_ID, requestId);
            fields.put(RequestTracing.TRACEPARENT, traceparent);
        }
        if (upstream != null) {
            for (Edit e : upstream) {
                if (e.value == null) {
                    fields.remove(e.name);
                } else {
                    fields.put(e.name, e.value);
                }
            }
        }
    }

    /** Applies the response edits, in the order they were asked, to a core response's fields. */
    public void applyResponse(HttpFields.Mutable fields) {
        applyResponse(fields::put, fields::add);
    }

    /** Applies the response edits, in the order they were asked, to a servlet response. */
    public void applyResponse(HttpServletResponse servletResponse) {
        applyResponse(servletResponse::setHeader, servletResponse::addHeader);
    }

    private void applyResponse(BiConsumer<String, String> set, BiConsumer<String, String> add) {
        if (requestId != null) {
            set.accept(RequestTracing.REQUEST_ID, requestId);
            set.accept(RequestTracing.TRACEPARENT, traceparent);
        }
        if (response != null) {
            for (Edit e : response) {
                (e.add ? add : set).accept(e.name, e.value); // a null value removes the field
            }
        }
    }

    /** Whether the upstream edits set or remove {@code name} (any case), so a front door leaves it to them. */
    public boolean editsUpstream(String name) {
        return isIdName(name) || find(upstream, name) != null;
    }

    /** Whether a response edit replaces header {@code name} (any case), so the backend's field of that name is not sent. */
    public boolean setsResponse(String name) {
        if (isIdName(name)) {
            return true;
        }
        if (response != null) {
            for (Edit e : response) {
                if (!e.add && e.name.equalsIgnoreCase(name)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The last value set or added for response header {@code name} (any case), or null. */
    public String responseValue(String name) {
        Edit e = find(response, name);
        if (e != null || requestId == null) {
            return e == null ? null : e.value;
        }
        return name.equalsIgnoreCase(RequestTracing.REQUEST_ID) ? requestId
                : name.equalsIgnoreCase(RequestTracing.TRACEPARENT) ? traceparent : null;
    }

    /** Whether {@code name} is one of the ids' headers (any case) and this request has them. */
    private boolean isIdName(String name) {
        return requestId != null && (name.equalsIgnoreCase(RequestTracing.REQUEST_ID)
                || name.equalsIgnoreCase(RequestTracing.TRACEPARENT));
    }

    /** The ids' lines, each unless a later edit of its name set or removed it. */
    private void appendIdLines(List<Edit> edits, HeaderLines head) {
        if (requestId == null) {
            return;
        }
        if (!replacedFrom(edits, 0, RequestTracing.REQUEST_ID)) {
            head.line(RequestTracing.REQUEST_ID, requestId);
        }
        if (!replacedFrom(edits, 0, RequestTracing.TRACEPARENT)) {
            head.line(RequestTracing.TRACEPARENT, traceparent);
        }
    }

    /** Writes what applying {@code edits} in order leaves: each value no later set or remove of its name replaced. */
    private static void writeLines(List<Edit> edits, HeaderLines head) {
        for (int i = 0; i < edits.size(); i++) {
            Edit e = edits.get(i);
            if (e.value != null && !replacedFrom(edits, i + 1, e.name)) {
                head.line(e.name, e.value);
            }
        }
    }

    /** Whether an edit from {@code index} on sets or removes {@code name} (any case). */
    private static boolean replacedFrom(List<Edit> edits, int index, String name) {
        if (edits == null) {
            return false;
        }
        for (int j = index; j < edits.size(); j++) {
            if (!edits.get(j).add && edits.get(j).name.equalsIgnoreCase(name)) {
                return true;
            }
        }
        return false;
    }

    private static Edit find(List<Edit> edits, String name) {
        if (edits == null) {
            return null;
        }
        for (int i = edits.size() - 1; i >= 0; i--) {
            if (edits.get(i).name.equalsIgnoreCase(name)) {
                return edits.get(i);
            }
        }
        return null;
    }

    /** Keeps the request's exported span ({@link io.zkgate.gateway.tracing.SpanExport}) until its answer completes. */
    public void span(Object exported) {
        if (frozen) {
            throw new UnsupportedOperationException("HeaderEdits.NONE is shared; make a new HeaderEdits");
        }
        span = exported;
    }

    /** The request's exported span, or null when export is off or the request's trace is not sampled. */
    public Object span() {
        return span;
    }

    /** The response edits as HTTP/1.1 header lines ({@code Name: value\r\n}), for a front door that writes heads. */
    public void appendResponseLines(HeaderLines head) {
        appendIdLines(response, head);
        if (response != null) {
            writeLines(response, head);
        }
    }
}
