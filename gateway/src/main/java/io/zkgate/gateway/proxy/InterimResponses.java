package io.zkgate.gateway.proxy;

import jakarta.servlet.http.HttpServletRequest;
import org.eclipse.jetty.client.EarlyHintsProtocolHandler;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.ProcessingProtocolHandler;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpStatus;

/**
 * A backend's interim responses on the servlet front door. Jetty's proxy servlet removes every protocol handler from
 * its client but its own 100-continue one, so a 102 Processing or a 103 Early Hints was taken for the final answer
 * and the exchange then hung past its response timeout. With these handlers the client skips a 102 and relays a 103
 * to the client before the answer, as the loop engine does. Stateless.
 */
final class InterimResponses {
    private InterimResponses() {}

    /**
     * Adds the handlers to {@code client}, after Jetty's proxy servlet has set its own.
     *
     * @param clientRequestAttribute the upstream request's attribute that holds the client's servlet request
     */
    static void install(HttpClient client, String clientRequestAttribute) {
        client.getProtocolHandlers().put(new ProcessingProtocolHandler());
        client.getProtocolHandlers().put(new EarlyHintsProtocolHandler() {
            @Override
            protected void onEarlyHints(Request request, HttpFields headers) {
                relayEarlyHints(request.getAttributes().get(clientRequestAttribute), headers);
            }
        });
    }

    private static void relayEarlyHints(Object client, HttpFields headers) {
        if (!(client instanceof HttpServletRequest servletRequest)) {
            return;
        }
        ServletContextRequest core = ServletContextRequest.getServletContextRequest(servletRequest);
        if (core != null && !core.getServletContextResponse().isCommitted()) {
            core.getServletContextResponse().writeInterim(HttpStatus.EARLY_HINTS_103, headers.asImmutable());
        }
    }
}
