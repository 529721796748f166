package io.zkgate.gateway.proxy;

import io.zkgate.gateway.routing.Grpc;
import io.zkgate.gateway.scripting.ScriptExchange;
import jakarta.servlet.http.HttpServletRequest;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.http.HttpHeader;

/** What the servlet engine sets on a request to the backend beyond Jetty's copy of the client's. Stateless. */
final class ProxyRequests {
    private ProxyRequests() {}

    /**
     * Forwarding headers, the client's Host where the route preserves it, the decision's upstream edits, then
     * {@code on_request}'s edits last so that a script may override the gateway's own.
     *
     * @param exchange   the request's exchange, or null when it has none
     * @param bodyInHand the gateway read the body whole and met an {@code Expect: 100-continue} itself
     */
    static void addHeaders(HttpServletRequest clientRequest, Request proxyRequest, ProxyExchange exchange,
            boolean bodyInHand) {
        String remote = clientRequest.getRemoteAddr();
        String priorFor = clientRequest.getHeader("X-Forwarded-For");
        String host = clientRequest.getHeader("Host");
        String te = clientRequest.getHeader("TE");
        boolean preserveHost = host != null && exchange != null && exchange.route() != null
                && exchange.route().route().preservesHost();
        proxyRequest.headers(headers -> {
            if (preserveHost) {
                headers.put(HttpHeader.HOST, host);
            }
            headers.put(HttpHeader.X_FORWARDED_FOR, priorFor == null ? remote : priorFor + ", " + remote);
            headers.put(HttpHeader.X_FORWARDED_PROTO, clientRequest.getScheme());
            if (host != null) {
                headers.put(HttpHeader.X_FORWARDED_HOST, host);
            }
            if (te != null && te.contains("trailers")) {
                headers.put(HttpHeader.TE, "trailers"); // gRPC servers require it; the only TE HTTP/2 allows
            }
            if (exchange != null && exchange.decision.headers().hasUpstream()) {
                exchange.decision.headers().applyUpstream(headers);
            }
            if (bodyInHand) {
                headers.remove(HttpHeader.EXPECT); // the gateway met the expectation: the body goes with the head
            }
        });
        ScriptExchange script = exchange == null ? null : exchange.script();
        if (script != null && script.hasHeaderEdits()) {
            proxyRequest.headers(script::applyHeaderEdits);
        }
    }

    /**
     * The route's response timeout bounds silence, like nginx's {@code proxy_read_timeout}: no response start, or no
     * bytes for that long, fails the exchange with 504; a long download that keeps flowing is not cut. A gRPC call's
     * deadline bounds the whole call.
     */
    static void bound(HttpServletRequest clientRequest, Request proxyRequest, ProxyExchange exchange) {
        proxyRequest.timeout(0, TimeUnit.MILLISECONDS);
        proxyRequest.idleTimeout(exchange.route().responseTimeoutMs(), TimeUnit.MILLISECONDS);
        long deadline = Grpc.timeoutMs(clientRequest.getHeader(Grpc.TIMEOUT));
        if (deadline > 0) {
            proxyRequest.timeout(deadline, TimeUnit.MILLISECONDS);
        }
    }
}
