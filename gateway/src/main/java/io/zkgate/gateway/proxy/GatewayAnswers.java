package io.zkgate.gateway.proxy;

import io.zkgate.gateway.routing.Decision;
import io.zkgate.gateway.routing.ErrorResponse;
import io.zkgate.gateway.routing.Grpc;
import io.zkgate.gateway.routing.RequestRouter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the servlet front door answers itself instead of passing on a backend's answer: the router's refusals and
 * scripts' answers, the contract's JSON errors (a gRPC status for a gRPC call), and the end of an exchange the
 * client or the backend cut. Each ends in the route's request metrics, as on the loop engine.
 * Thread-safe: stateless beyond the router.
 */
final class GatewayAnswers {
    private static final Logger log = LoggerFactory.getLogger(GatewayAnswers.class);

    private final RequestRouter router;

    GatewayAnswers(RequestRouter router) {
        this.router = router;
    }

    /**
     * Writes a refusal, a script's own answer or a bare reply: the decision that sent nothing to a backend. Counted
     * before it is written, as on the loop engine: a client that has its answer finds it in the metrics.
     */
    void answer(HttpServletRequest request, HttpServletResponse response, ProxyExchange exchange) {
        try {
            exchange.decision.headers().applyResponse(response);
            exchange.responseEdited = true;
            if (exchange.decision instanceof Decision.Answer answer) {
                record(request, exchange, answer.script().respondedStatus());
                answer.script().writeResponse(response);
            } else if (exchange.decision instanceof Decision.Refuse refuse) {
                record(request, exchange, statusFor(request, refuse.error()));
                if (refuse.error() == ErrorResponse.BODY_TOO_LARGE) {
                    response.setHeader("Connection", "close");
                }
                writeError(request, response, exchange, refuse.error(), refuse.message());
            } else if (exchange.decision instanceof Decision.Reply reply) {
                record(request, exchange, reply.status());
                response.setStatus(reply.status());
                response.setContentLength(0);
            }
        } catch (IOException e) {
            log.debug("writing error response failed", e);
        }
    }

    /**
     * Answers {@code error} in place of the backend's response, which was not sent yet, and ends the exchange. A
     * script error drops the backend's headers too ({@code on_response} may have edited them); a 413 closes the
     * connection, as the rest of the body is not read.
     */
    private void replaceWithError(HttpServletRequest request, HttpServletResponse response, ProxyExchange exchange,
            ErrorResponse error, String message) {
        record(request, exchange, error.status()); // a gRPC call's too: its answer is a 200 with the error in trailers
        try {
            if (error == ErrorResponse.SCRIPT_ERROR) {
                response.reset();
                exchange.responseEdited = false;
            } else {
                response.resetBuffer();
                response.setHeader("Connection", error == ErrorResponse.BODY_TOO_LARGE ? "close" : null);
            }
            writeError(request, response, exchange, error, message);
        } catch (IOException | IllegalStateException e) {
            log.debug("writing the {} response failed", error.code(), e);
        } finally {
            complete(request);
        }
    }

    /**
     * Answers a failure that is not the backend's: {@code on_response} failed, the streamed request body went over
     * the route's limit, or the client left. None of them counts against the backend or is retried.
     *
     * @return whether it was one of those, now answered
     */
    boolean notTheBackends(HttpServletRequest request, HttpServletResponse response, ProxyExchange exchange,
            Throwable failure) {
        if (failure instanceof ScriptFailure scriptFailure) {
            replaceWithError(request, response, exchange, ErrorResponse.SCRIPT_ERROR, scriptFailure.getMessage());
            return true;
        }
        BodyTooLargeException tooLarge = UpstreamFailure.cause(failure, BodyTooLargeException.class);
        if (tooLarge != null && !response.isCommitted()) {
            replaceWithError(request, response, exchange, ErrorResponse.BODY_TOO_LARGE, tooLarge.getMessage());
            return true;
        }
        if (exchange.clientGone) {
            clientGone(request, response, exchange);
            return true;
        }
        return false;
    }

    /**
     * Answers a backend's failure that is not retried: 504 when it went silent, else 502; once the client's response
     * is committed, see {@link #failedMidStream}.
     *
     * @return whether the exchange is ended; if not, Jetty's handling must end it
     */
    boolean backendFailed(HttpServletRequest request, HttpServletResponse response, ProxyExchange exchange,
            Throwable failure, boolean timeout) {
        if (response.isCommitted()) {
            return failedMidStream(request, response, exchange, failure, timeout);
        }
        String message = timeout
                ? "backend " + exchange.upstreamAddress() + " did not respond within "
                        + exchange.route().responseTimeoutMs() + " ms"
                : "backend " + exchange.upstreamAddress() + " failed: " + UpstreamFailure.describe(failure);
        replaceWithError(request, response, exchange,
                timeout ? ErrorResponse.UPSTREAM_TIMEOUT : ErrorResponse.UPSTREAM_UNREACHABLE, message);
        return true;
    }

    /**
     * Ends an exchange the client left. Not the backend's failure: counted with the status the client got, or 499
     * (client closed request) before any, as the loop engine does.
     */
    private void clientGone(HttpServletRequest request, HttpServletResponse response, ProxyExchange exchange) {
        record(request, exchange, response.isCommitted() ? response.getStatus() : 499);
        complete(request);
    }

    /**
     * A backend failed after the client's response was committed: counted with the status sent. A gRPC call ends
     * with UNAVAILABLE (DEADLINE_EXCEEDED when the backend went silent) in its trailers, which its client can act on,
     * rather than with a reset stream.
     *
     * @return whether the exchange is ended; if not, Jetty's handling must end it
     */
    private boolean failedMidStream(HttpServletRequest request, HttpServletResponse response, ProxyExchange exchange,
            Throwable failure, boolean timeout) {
        record(request, exchange, response.getStatus());
        GrpcTrailers trailers = (GrpcTrailers) request.getAttribute(GrpcTrailers.ATTRIBUTE);
        if (trailers == null) {
            return false;
        }
        trailers.fail(timeout ? Grpc.DEADLINE_EXCEEDED : Grpc.UNAVAILABLE, "backend " + exchange.upstreamAddress()
                + (timeout ? " went silent" : " failed") + " mid-stream: " + UpstreamFailure.describe(failure));
        request.getAsyncContext().complete();
        return true;
    }

    void record(HttpServletRequest request, ProxyExchange exchange, int status) {
        router.record(exchange.route(), request.getMethod(), status, exchange.startNanos);
    }

    /** The status {@link #writeError} answers {@code error} with: a gRPC call's is 200, its trailers say the rest. */
    private static int statusFor(HttpServletRequest request, ErrorResponse error) {
        return Grpc.isGrpc(request.getContentType()) ? 200 : error.status();
    }

    /**
     * Writes the contract's JSON error with the request's id in its body and the decision's response headers (a
     * request id, CORS) on it, unless they are on already; for a gRPC call its gRPC status in a trailers-only answer
     * (HTTP 200) instead.
     */
    private static void writeError(HttpServletRequest request, HttpServletResponse response, ProxyExchange exchange,
            ErrorResponse error, String message) throws IOException {
        if (!exchange.responseEdited) {
            exchange.decision.headers().applyResponse(response);
            exchange.responseEdited = true;
        }
        if (!Grpc.isGrpc(request.getContentType())) {
            error.write(response, exchange.routeId(), message, exchange.decision.headers());
            return;
        }
        response.setStatus(statusFor(request, error));
        response.setContentType(Grpc.CONTENT_TYPE);
        response.setHeader(Grpc.STATUS, Integer.toString(Grpc.status(error)));
        response.setHeader(Grpc.MESSAGE, Grpc.encodeMessage(error.code() + ": " + message));
    }

    private static void complete(HttpServletRequest request) {
        if (request.isAsyncStarted()) {
            request.getAsyncContext().complete();
        }
    }
}
