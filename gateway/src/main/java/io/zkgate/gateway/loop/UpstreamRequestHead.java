package io.zkgate.gateway.loop;

import io.zkgate.gateway.balancer.Endpoint;
import io.zkgate.gateway.routing.Decision;
import io.zkgate.gateway.routing.HeaderEdits;
import io.zkgate.gateway.scripting.ScriptExchange;
import java.nio.ByteBuffer;
import java.util.Set;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;

/**
 * The request head a backend gets: the client's method, the route's upstream path and the query; Host (the
 * backend's, or the client's for {@code preserveHost}); the client's fields less the hop-by-hop ones;
 * X-Forwarded-For, -Proto and -Host; the decision's header edits, then a script's (which may override them); the
 * Upgrade of a WebSocket handshake; and the client's body framing. Stateless: the head is written into the upstream
 * connection's {@link HeadBuilder}, on the exchange's event-loop thread.
 */
final class UpstreamRequestHead {
    private UpstreamRequestHead() {}

    /** The head of {@code x}'s request as its current backend gets it. */
    static ByteBuffer of(Exchange x) {
        Decision.Forward forward = x.forward;
        HttpFields requestHeaders = x.requestHeaders;
        String method = x.method;
        String query = x.query;
        ClientConnection client = x.client;
        Endpoint endpoint = forward.endpoint();
        UpstreamConnection upstream = x.upstream;
        HeadBuilder head = upstream.head.start(upstream.out.pending());
        head.append(method).append(' ').append(forward.upstreamPath());
        if (query != null) {
            head.append('?').append(query);
        }
        head.append(" HTTP/1.1\r\nHost: ");
        String clientHost = requestHeaders.get(HttpHeader.HOST);
        if (clientHost != null && forward.route().route().preservesHost()) {
            head.append(clientHost);
        } else {
            head.append(forward.upstreamAuthority());
        }
        head.crlf();
        Set<String> named = HopByHop.connectionTokens(requestHeaders);
        String priorFor = requestHeaders.get(HttpHeader.X_FORWARDED_FOR);
        String remote = client.clientAddress();
        String forwardedFor = priorFor == null ? remote : priorFor + ", " + remote;
        String host = requestHeaders.get(HttpHeader.HOST);
        ScriptExchange script = forward.script();
        HeaderEdits edits = forward.headers();
        if (script != null && script.hasHeaderEdits()) {
            HttpFields.Mutable fields = HttpFields.build(requestHeaders.size() + 4);
            for (HttpField field : requestHeaders) {
                if (HopByHop.forwardedUpstream(field, named)) {
                    fields.add(field);
                }
            }
            fields.put(HttpHeader.X_FORWARDED_FOR, forwardedFor);
            fields.put(HttpHeader.X_FORWARDED_PROTO, client.secure ? "https" : "http");
            if (host != null) {
                fields.put(HttpHeader.X_FORWARDED_HOST, host);
            }
            edits.applyUpstream(fields);
            if (script != null && script.hasHeaderEdits()) {
                script.applyHeaderEdits(fields); // after the gateway's own, so a script may override them
            }
            for (HttpField field : fields) {
                head.line(field.getName(), field.getValue());
            }
        } else {
            // Without script edits the head is written straight out; the policies' edits (a request id, a verified
            // identity) replace the client's fields of their names, so these are left out here.
            boolean edited = edits.hasUpstream();
            for (HttpField field : requestHeaders) {
                if (HopByHop.forwardedUpstream(field, named) && !(edited && edits.editsUpstream(field.getName()))) {
                    head.line(field.getName(), field.getValue());
                }
            }
            if (!edited || !edits.editsUpstream("X-Forwarded-For")) {
                head.line("X-Forwarded-For", forwardedFor);
            }
            if (!edited || !edits.editsUpstream("X-Forwarded-Proto")) {
                head.line("X-Forwarded-Proto", client.secure ? "https" : "http");
            }
            if (host != null && (!edited || !edits.editsUpstream("X-Forwarded-Host"))) {
                head.line("X-Forwarded-Host", host);
            }
            if (edited) {
                edits.appendUpstreamLines(head);
            }
        }
        if (x.upgrade) {
            head.line("Connection", "Upgrade");
            head.line("Upgrade", requestHeaders.get(HttpHeader.UPGRADE));
        }
        if (x.requestChunked) {
            head.line("Transfer-Encoding", "chunked");
        } else {
            long length = requestHeaders.getLongField(HttpHeader.CONTENT_LENGTH);
            if (length >= 0) {
                head.append("Content-Length: ").append(length).crlf();
            }
        }
        return head.end();
    }
}
