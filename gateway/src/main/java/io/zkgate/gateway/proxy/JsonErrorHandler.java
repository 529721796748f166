package io.zkgate.gateway.proxy;

import io.zkgate.gateway.routing.ErrorResponse;
import io.zkgate.gateway.routing.HeaderEdits;
import io.zkgate.gateway.routing.RequestRouter;
import io.zkgate.gateway.routing.RequestTracing;
import io.zkgate.schema.CanonicalPath;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Errors that Jetty answers itself (a malformed or smuggling request, headers over the limit, a URI Jetty cannot
 * parse) in the contract's JSON body instead of Jetty's HTML page, so a client reads every error the gateway sends
 * the same way. A request Jetty refused for its path (one it cannot decode, or that climbs above the root) gets
 * {@code bad_path}, as the gateway's own canonicalizer would have answered. Otherwise the error code is {@code bad_request}, {@code header_too_large}, {@code body_too_large},
 * {@code uri_too_long} or {@code http_<status>}; the route is null, as no route was chosen. With request ids on,
 * each answer carries an X-Request-Id and traceparent (the client's, when it sent well-formed ones and Jetty read
 * them) and ends its body with {@code requestId} and {@code traceId}, as a routed request's errors do.
 * Thread-safe: holds only the router.
 */
public final class JsonErrorHandler extends ErrorHandler {
    private final RequestRouter router;

    /** @param router gives these answers a request id and trace context when request ids are on */
    public JsonErrorHandler(RequestRouter router) {
        this.router = router;
    }

    @Override
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
        HeaderEdits ids = router.unroutedIds(null, null);
        fields.put(HttpHeader.CONTENT_TYPE, "application/json");
        ids.applyResponse(fields);
        return ByteBuffer.wrap(body(status, reason, ids).getBytes(StandardCharsets.UTF_8));
    }

    @Override
    protected void generateResponse(Request request, Response response, int status, String message, Throwable cause,
            Callback callback) {
        AccessLog.Entry routed = (AccessLog.Entry) request.getAttribute(AccessLog.ENTRY);
        HeaderEdits ids = routed != null && routed.ids().requestId() != null ? routed.ids()
                : router.unroutedIds(request.getHeaders().get(RequestTracing.REQUEST_ID),
                        request.getHeaders().get(RequestTracing.TRACEPARENT));
        String badPath = status == 400 ? badPath(request, cause) : null;
        byte[] body = (badPath == null ? body(status, message, ids) : ErrorResponse.BAD_PATH.body(null, badPath, ids))
                .getBytes(StandardCharsets.UTF_8);
        ids.applyResponse(response.getHeaders());
        if (routed == null) {
            request.setAttribute(AccessLog.ENTRY, new AccessLog.Unforwarded(null, null, ids));
        }
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        response.write(true, ByteBuffer.wrap(body), callback);
    }

    /**
     * Why the request's path was refused, when that is why Jetty refused the request; otherwise null. Jetty's parser
     * refuses a target it cannot decode or that climbs above the root before any handler runs, keeping only the
     * cause; a target it parsed is checked with the gateway's own rules.
     */
    private static String badPath(Request request, Throwable cause) {
        Throwable parseFailure = cause == null ? null : cause.getCause();
        if (parseFailure instanceof IllegalArgumentException) {
            return "request target refused: it cannot be decoded or climbs above the root ("
                    + parseFailure.getMessage() + ")";
        }
        String raw = request.getHttpURI().getPath();
        if (raw == null) {
            return null;
        }
        try {
            CanonicalPath.of(raw);
            return null;
        } catch (CanonicalPath.BadPathException e) {
            return CanonicalPathHandler.refusal(raw, e);
        }
    }

    /** The contract's body for an error of Jetty's or the loop's HTTP parser, with the request's ids if any. */
    public static String body(int status, String reason, HeaderEdits ids) {
        String code = switch (status) {
            case 400 -> "bad_request";
            case 413 -> "body_too_large";
            case 414 -> "uri_too_long";
            case 431 -> "header_too_large";
            default -> "http_" + status;
        };
        String message = reason == null || reason.isEmpty() ? HttpStatus.getMessage(status) : reason;
        return ErrorResponse.body(status, code, null, message, ids.requestId(), ids.traceId());
    }
}
