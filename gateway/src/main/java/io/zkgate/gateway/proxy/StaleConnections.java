package io.zkgate.gateway.proxy;

import io.zkgate.gateway.routing.RequestRouter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.eclipse.jetty.client.Connection;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.util.Promise;

/**
 * A pooled upstream connection the backend closed as the servlet's client took it (the race every keep-alive pool
 * has with a backend's idle timeout): seen on the failed request, and the request sent again on a connection of its
 * own, since the client's pool could hand out another connection the backend closed. Stateless.
 */
final class StaleConnections {
    private StaleConnections() {}

    /**
     * Whether a failed request is sent once more to the same backend on a new connection: it went out on a pooled
     * connection the backend had closed, nothing came back, and it may be sent again (idempotent, or never sent;
     * bodiless or its body kept). Once per backend tried, neither spending the route's retry nor counting toward the
     * backend's ejection (as the loop engine does): had it gone to another backend, a backend's idle close would
     * spend the request's one retry, and a dead backend picked for it would then fail the request.
     */
    static boolean resendable(HttpServletRequest request, HttpServletResponse response, Response serverResponse,
            ProxyExchange failed, Throwable failure, boolean bodyReplayable) {
        boolean nothingBack = serverResponse == null || serverResponse.getStatus() <= 0;
        return !failed.staleResent && nothingBack && !response.isCommitted() && bodyReplayable
                && (RequestRouter.idempotent(request.getMethod()) || UpstreamFailure.neverSent(failure))
                && wentOutReused(serverResponse);
    }

    /** Whether the failed request went out on a connection that had carried a response before: a pooled one. */
    private static boolean wentOutReused(Response serverResponse) {
        if (serverResponse == null) {
            return false;
        }
        Connection connection = serverResponse.getRequest().getConnection();
        return connection instanceof org.eclipse.jetty.io.Connection io && io.getMessagesIn() > 0;
    }

    /**
     * Sends {@code proxyRequest} on a new connection that is closed once its exchange completes; should no
     * connection be made, the request is sent as usual, so its failure takes the normal way.
     */
    static void sendOnNewConnection(HttpClient client, Request proxyRequest, Response.CompleteListener listener) {
        client.resolveDestination(proxyRequest).newConnection(Promise.from(connection -> {
            proxyRequest.onComplete(result -> connection.close());
            connection.send(proxyRequest, listener);
        }, failure -> proxyRequest.send(listener)));
    }
}
