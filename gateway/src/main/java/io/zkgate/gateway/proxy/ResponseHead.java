package io.zkgate.gateway.proxy;

import io.zkgate.gateway.scripting.ScriptExchange;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;

/**
 * What the servlet engine does to a backend's response head once Jetty copied it, before anything reaches the
 * client: no Content-Length on a 204, trailers for an HTTP/2 client that takes them, the decision's response headers, the route's
 * {@code on_response}, and an event stream's early flush. Stateless.
 */
final class ResponseHead {
    private ResponseHead() {}

    /** Edits the client's response head; a failed {@code on_response} aborts the backend's response instead. */
    static void edit(HttpServletRequest clientRequest, HttpServletResponse proxyResponse, Response serverResponse) {
        if (serverResponse.getStatus() == HttpStatus.NO_CONTENT_204) {
            proxyResponse.setHeader(HttpHeader.CONTENT_LENGTH.asString(), null); // a 204 has no body, whatever it says
        }
        if (GrpcTrailers.wanted(clientRequest, serverResponse)) {
            clientRequest.setAttribute(GrpcTrailers.ATTRIBUTE, GrpcTrailers.forward(proxyResponse, serverResponse));
        }
        ProxyExchange exchange = ProxyExchange.of(clientRequest);
        if (exchange != null && exchange.decision.headers().hasResponse()) {
            exchange.decision.headers().applyResponse(proxyResponse);
            exchange.responseEdited = true;
        }
        ScriptExchange script = exchange == null ? null : exchange.script();
        if (script != null && script.hasOnResponse()
                && !script.onResponse(new ServletResponseView(proxyResponse), serverResponse.getStatus())) {
            serverResponse.abort(new ScriptFailure(script.failure()));
            return;
        }
        if (isEventStream(serverResponse)) {
            try {
                proxyResponse.flushBuffer(); // its client learns the stream is open before the first event
            } catch (IOException e) {
                serverResponse.abort(e);
            }
        }
    }

    private static boolean isEventStream(Response serverResponse) {
        String type = serverResponse.getHeaders().get(HttpHeader.CONTENT_TYPE);
        return type != null && type.regionMatches(true, 0, "text/event-stream", 0, 17);
    }
}
