package io.zkgate.gateway.proxy;

import io.zkgate.gateway.balancer.Endpoint;
import io.zkgate.gateway.routing.Decision;
import io.zkgate.gateway.scripting.ScriptExchange;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;

/**
 * The client's WebSocket handshake as {@link WebSocketTunnel} writes it to the backend: the tunnel moves raw bytes,
 * so the head is encoded here rather than by an HTTP client. Stateless.
 */
final class HandshakeRequest {
    /** Hop-by-hop headers of the client's handshake that are not passed on as they are. */
    private static final Set<String> NOT_FORWARDED = Set.of("host", "x-forwarded-for", "x-forwarded-proto",
            "x-forwarded-host", "proxy-connection", "keep-alive", "te", "trailer", "transfer-encoding");

    private HandshakeRequest() {}

    /**
     * The head for {@code forward}'s backend: path rewritten like any request (or as the route's script set it), the
     * decision's and the script's header edits applied, forwarding headers added.
     */
    static ByteBuffer encode(Request request, Decision.Forward forward) {
        Endpoint endpoint = forward.endpoint();
        ScriptExchange script = forward.script();
        String query = request.getHttpURI().getQuery();
        StringBuilder head = new StringBuilder(512);
        head.append("GET ").append(forward.upstreamPath());
        if (query != null) {
            head.append('?').append(query);
        }
        head.append(" HTTP/1.1\r\n");
        String clientHost = request.getHeaders().get(HttpHeader.HOST);
        if (clientHost != null && forward.route().route().preservesHost()) {
            head.append("Host: ").append(clientHost).append("\r\n");
        } else {
            head.append("Host: ").append(endpoint.authority()).append("\r\n");
        }
        HttpFields.Mutable headers = HttpFields.build(request.getHeaders());
        forward.headers().applyUpstream(headers);
        if (script != null && script.hasHeaderEdits()) {
            script.applyHeaderEdits(headers);
        }
        for (HttpField field : headers) {
            if (!NOT_FORWARDED.contains(field.getLowerCaseName())) {
                head.append(field.getName()).append(": ").append(field.getValue()).append("\r\n");
            }
        }
        String remote = Request.getRemoteAddr(request);
        String priorFor = request.getHeaders().get(HttpHeader.X_FORWARDED_FOR);
        head.append("X-Forwarded-For: ").append(priorFor == null ? remote : priorFor + ", " + remote).append("\r\n");
        head.append("X-Forwarded-Proto: ").append(request.getHttpURI().getScheme() == null ? "http"
                : request.getHttpURI().getScheme()).append("\r\n");
        if (clientHost != null) {
            head.append("X-Forwarded-Host: ").append(clientHost).append("\r\n");
        }
        head.append("\r\n");
        return ByteBuffer.wrap(head.toString().getBytes(StandardCharsets.ISO_8859_1));
    }
}
