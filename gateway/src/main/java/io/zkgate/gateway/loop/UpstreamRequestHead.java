package io.zkgate.gateway.loop;

import io.zkgate.gateway.balancer.Endpoint;
import io.zkgate.gateway.routing.Decision;
import io.zkgate.gateway.routing.HeaderEdits;
import io.zkgate.gateway.scripting.ScriptExchange;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;

/**
 * The request head a backend gets: the client's method, the route's upstream path and the query; Host (the
 * backend's, or the client's for {@code preserveHost}); the client's fields less the hop-by-hop ones;
 * X-Forwarded-For, -Proto and -Host; the decision's header edits, then a script's (which may override them); the
 * Upgrade of a WebSocket handshake; and the client's body framing. Stateless; it runs on the exchange's event-loop
 * thread.
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
        StringBuilder head = new StringBuilder(256 + requestHeaders.size() * 32);
        head.append(method).append(' ').append(forward.upstreamPath());
        if (query != null) {
            head.append('?').append(query);
        }
        head.append(" HTTP/1.1\r\nHost: ");
        String clientHost = requestHeaders.get(HttpHeader.HOST);
        if (clientHost != null && forward.route().route().preservesHost()) {
            head.append(clientHost);
        } else {
            head.append(endpoint.authority());
        }
        head.append("\r\n");
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
                head.append(field.getName()).append(": ").append(field.getValue()).append("\r\n");
            }
        } else {
            // Without script edits the head is written straight out; the policies' edits (a request id, a verified
            // identity) replace the client's fields of their names, so these are left out here.
            boolean edited = edits.hasUpstream();
            for (HttpField field : requestHeaders) {
                if (HopByHop.forwardedUpstream(field, named) && !(edited && edits.editsUpstream(field.getName()))) {
                    head.append(field.getName()).append(": ").append(field.getValue()).append("\r\n");
                }
            }
            if (!edited || !edits.editsUpstream("X-Forwarded-For")) {
                head.append("X-Forwarded-For: ").append(forwardedFor).append("\r\n");
            }
            if (!edited || !edits.editsUpstream("X-Forwarded-Proto")) {
                head.append("X-Forwarded-Proto: ").append(client.secure ? "https" : "http").append("\r\n");
            }
            if (host != null && (!edited || !edits.editsUpstream("X-Forwarded-Host"))) {
                head.append("X-Forwarded-Host: ").append(host).append("\r\n");
            }
            if (edited) {
                edits.appendUpstreamLines(head);
            }
        }
        if (x.upgrade) {
            head.append("Connection: Upgrade\r\nUpgrade: ").append(requestHeaders.get(HttpHeader.UPGRADE))
                    .append("\r\n");
        }
        if (x.requestChunked) {
            head.append("Transfer-Encoding: chunked\r\n");
        } else {
            long length = requestHeaders.getLongField(HttpHeader.CONTENT_LENGTH);
            if (length >= 0) {
                head.append("Content-Length: ").append(length).append("\r\n");
            }
        }
        head.append("\r\n");
        return ByteBuffer.wrap(head.toString().getBytes(StandardCharsets.ISO_8859_1));
    }
}
