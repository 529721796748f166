package io.zkgate.gateway.proxy;

import org.eclipse.jetty.server.Request;

/**
 * Runs something once when Jetty ends a request's stream, however it ends: response completed, failed, client gone,
 * or the connection upgraded. Servlet requests and core handler requests alike, since a servlet request is a core
 * request underneath. Stateless.
 */
final class RequestEnd {
    private RequestEnd() {}

    /** Runs {@code action} once when {@code request}'s stream succeeds or fails; at once when there is no request. */
    static void onEnd(Request request, Runnable action) {
        if (request == null) {
            action.run();
            return;
        }
        Request.addCompletionListener(request, failure -> action.run());
    }
}
