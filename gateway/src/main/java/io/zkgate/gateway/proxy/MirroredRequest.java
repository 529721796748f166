package io.zkgate.gateway.proxy;

import io.zkgate.gateway.mirror.Mirror;
import io.zkgate.gateway.routing.Decision;
import jakarta.servlet.http.HttpServletRequest;
import java.util.Enumeration;
import org.eclipse.jetty.http.HttpFields;

/** Hands a servlet request's copy to the {@link Mirror}, as it arrived from the client. Stateless. */
final class MirroredRequest {
    private MirroredRequest() {}

    /**
     * Sends the copy of a mirrored route's request (its first attempt): with its body when it was read whole
     * ({@link ReplayableBody}), else not at all (counted as not copied).
     */
    static void send(Mirror mirror, HttpServletRequest request, ProxyExchange exchange, boolean hasContent) {
        Decision.Forward forward = exchange.forward();
        if (hasContent && exchange.body == null) {
            Mirror.bodyNotCopied(forward);
            return;
        }
        HttpFields.Mutable headers = HttpFields.build();
        for (Enumeration<String> names = request.getHeaderNames(); names.hasMoreElements(); ) {
            String name = names.nextElement();
            for (Enumeration<String> values = request.getHeaders(name); values.hasMoreElements(); ) {
                headers.add(name, values.nextElement());
            }
        }
        mirror.send(forward, request.getMethod(), request.getQueryString(), headers, request.getRemoteAddr(),
                exchange.body);
    }
}
