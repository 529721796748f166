package io.zkgate.gateway.proxy;

import io.zkgate.gateway.metrics.RouteMetrics;
import io.zkgate.gateway.routing.ErrorResponse;
import io.zkgate.gateway.routing.HeaderEdits;
import io.zkgate.gateway.routing.RequestRouter;
import io.zkgate.gateway.routing.RequestTracing;
import io.zkgate.schema.CanonicalPath;
import java.util.List;
import java.util.Set;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The proxy's first handler: replaces the request's path with its {@link CanonicalPath}, so that route matching,
 * {@code stripPrefix}, the Lua {@code req.path}, the {@code path} hash key and the path sent upstream all see one
 * spelling, for HTTP requests and WebSocket handshakes alike. A path with no safe canonical form is answered 400
 * {@code bad_path} and goes no further. A path that is canonical already (nearly all) passes through unwrapped.
 * Requests on other connectors (the admin port) pass through untouched.
 * Thread-safe: stateless per request.
 */
public final class CanonicalPathHandler extends Handler.Wrapper {
    private final RequestRouter router;
    private final Set<String> connectorNames;
    private final RouteMetrics noRoute;

    /**
     * @param router         gives a refusal its request id and trace context, when request ids are on
     * @param connectorNames the proxy connectors' names (plain and TLS)
     * @param noRoute       where refused requests are counted (route {@code (none)}), or null to count nothing
     */
    public CanonicalPathHandler(Handler next, RequestRouter router, List<String> connectorNames,
            RouteMetrics noRoute) {
        super(next);
        this.router = router;
        this.connectorNames = Set.copyOf(connectorNames);
        this.noRoute = noRoute;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        HttpURI uri = request.getHttpURI();
        String raw = uri.getPath();
        if (raw == null || CanonicalPath.isCanonical(raw)
                || !connectorNames.contains(request.getConnectionMetaData().getConnector().getName())) {
            return super.handle(request, response, callback);
        }
        long start = System.nanoTime();
        String canonical;
        try {
            canonical = CanonicalPath.of(raw);
        } catch (CanonicalPath.BadPathException e) {
            HeaderEdits ids = router.unroutedIds(request.getHeaders().get(RequestTracing.REQUEST_ID),
                    request.getHeaders().get(RequestTracing.TRACEPARENT));
            ids.applyResponse(response.getHeaders());
            request.setAttribute(AccessLog.ENTRY, new AccessLog.Unforwarded(null, null, ids));
            ErrorResponse.BAD_PATH.write(response, callback, null, refusal(raw, e), ids);
            if (noRoute != null) {
                noRoute.record(request.getMethod(), ErrorResponse.BAD_PATH.status(), System.nanoTime() - start);
            }
            return true;
        }
        HttpURI canonicalUri = HttpURI.build(uri).path(canonical).asImmutable();
        return super.handle(new Request.Wrapper(request) {
            @Override
            public HttpURI getHttpURI() {
                return canonicalUri;
            }
        }, response, callback);
    }

    /** The message of a bad_path answer. */
    static String refusal(String raw, CanonicalPath.BadPathException e) {
        return "path '" + raw + "' refused: it holds " + e.getMessage();
    }
}
