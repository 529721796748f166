package io.zkgate.gateway.proxy;

import io.zkgate.gateway.balancer.Endpoint;
import io.zkgate.gateway.routing.RouteEntry;
import io.zkgate.gateway.routing.Snapshot;
import io.zkgate.gateway.routing.SnapshotRef;
import io.zkgate.gateway.scripting.ScriptExchange;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.ee10.proxy.AsyncProxyServlet;
import org.eclipse.jetty.http.HttpHeader;

/**
 * Jetty's {@link AsyncProxyServlet} extended through its hooks only: {@code rewriteTarget} reads the current snapshot
 * once, matches the route and picks a backend; {@code onProxyRewriteFailed} and {@code onProxyResponseFailure}
 * answer with the contract's JSON errors. A route's Lua filter runs its {@code on_request} between the route match
 * and the backend pick, and its {@code on_response} when the backend's headers arrive. The request path takes no
 * lock and calls no ZooKeeper.
 * Thread-safe: per-request state lives in a request attribute.
 */
public final class GatewayProxyServlet extends AsyncProxyServlet {
    private static final long serialVersionUID = 1L;

    private final transient SnapshotRef snapshots;
    private final transient UpstreamClientSettings upstream;

    public GatewayProxyServlet(SnapshotRef snapshots, UpstreamClientSettings upstream) {
        this.snapshots = snapshots;
        this.upstream = upstream;
    }

    @Override
    protected HttpClient newHttpClient() {
        HttpClient client = super.newHttpClient();
        client.setConnectTimeout(upstream.connectTimeoutMs());
        return client;
    }

    @Override
    protected String rewriteTarget(HttpServletRequest request) {
        Snapshot snapshot = snapshots.current();
        String path = request.getRequestURI();
        RouteEntry route = snapshot.routes().match(request.getServerName(), path, request.getMethod());
        if (route == null) {
            request.setAttribute(ProxyExchange.ATTRIBUTE, ProxyExchange.failed(null, ErrorResponse.NO_ROUTE));
            return null;
        }
        ScriptExchange script = route.script() == null ? null : runOnRequest(request, route);
        if (script != null && (script.failed() || script.responded())) {
            return null;
        }
        String key = script == null ? null : script.hashKey();
        Endpoint endpoint = route.balancer().pick(key);
        if (endpoint == null) {
            request.setAttribute(ProxyExchange.ATTRIBUTE, ProxyExchange.failed(route, ErrorResponse.NO_INSTANCES));
            return null;
        }
        request.setAttribute(ProxyExchange.ATTRIBUTE, ProxyExchange.to(route, endpoint, script));
        String upstreamPath = script == null ? null : script.upstreamPath();
        return upstreamPath == null
                ? target(endpoint, route, path, request.getQueryString())
                : target(endpoint, upstreamPath, request.getQueryString());
    }

    // ---- Lua filter ---------------------------------------------------------------------------------------------

    /**
     * Runs the route's on_request. When it failed or answered by itself, the exchange is recorded for
     * {@link #onProxyRewriteFailed} to write, and no backend is picked.
     */
    private static ScriptExchange runOnRequest(HttpServletRequest request, RouteEntry route) {
        ScriptExchange script = route.script().onRequest(request);
        if (script.failed() || script.responded()) {
            request.setAttribute(ProxyExchange.ATTRIBUTE, ProxyExchange.scripted(route, script));
        }
        return script;
    }

    /** The upstream URI when the script chose the path: the path as given, the client's query kept. */
    static String target(Endpoint endpoint, String upstreamPath, String query) {
        String base = endpoint.baseUri();
        StringBuilder sb = new StringBuilder(base.length() + upstreamPath.length()
                + (query == null ? 0 : query.length() + 1));
        sb.append(base).append(upstreamPath);
        if (query != null) {
            sb.append('?').append(query);
        }
        return sb.toString();
    }

    /** Writes the script's own answer, or its failure as 500 script_error. */
    private void writeScriptOutcome(HttpServletResponse response, ProxyExchange exchange) {
        try {
            if (exchange.script.failed()) {
                ErrorResponse.SCRIPT_ERROR.write(response, exchange.route.id(), exchange.script.failure());
            } else {
                exchange.script.writeResponse(response);
            }
        } catch (IOException e) {
            _log.debug("writing script response failed", e);
        }
    }

    /** Applies on_request's header edits after the gateway's own headers, so a script may override them. */
    private static void applyScriptHeaders(HttpServletRequest clientRequest, Request proxyRequest) {
        ProxyExchange exchange = (ProxyExchange) clientRequest.getAttribute(ProxyExchange.ATTRIBUTE);
        if (exchange != null && exchange.script != null && exchange.script.hasHeaderEdits()) {
            proxyRequest.headers(exchange.script::applyHeaderEdits);
        }
    }

    /** Runs on_response once the backend's headers are copied, before anything is sent to the client. */
    @Override
    protected void onServerResponseHeaders(HttpServletRequest clientRequest, HttpServletResponse proxyResponse,
            Response serverResponse) {
        super.onServerResponseHeaders(clientRequest, proxyResponse, serverResponse);
        ProxyExchange exchange = (ProxyExchange) clientRequest.getAttribute(ProxyExchange.ATTRIBUTE);
        if (exchange != null && exchange.script != null && exchange.script.hasOnResponse()
                && !exchange.script.onResponse(proxyResponse, serverResponse.getStatus())) {
            serverResponse.abort(new ScriptFailure(exchange.script.failure()));
        }
    }

    /** Writes on_response's failure in place of the backend's response, which was not sent yet. */
    private void writeScriptFailure(HttpServletRequest clientRequest, HttpServletResponse proxyResponse,
            ProxyExchange exchange, ScriptFailure failure) {
        try {
            proxyResponse.reset();
            ErrorResponse.SCRIPT_ERROR.write(proxyResponse, exchange.route.id(), failure.getMessage());
        } catch (IOException | IllegalStateException e) {
            _log.debug("writing script error response failed", e);
        } finally {
            if (clientRequest.isAsyncStarted()) {
                clientRequest.getAsyncContext().complete();
            }
        }
    }

    /** Aborts the upstream response when on_response failed. */
    private static final class ScriptFailure extends Exception {
        private static final long serialVersionUID = 1L;

        ScriptFailure(String message) {
            super(message, null, false, false);
        }
    }

    // ---- end of Lua filter --------------------------------------------------------------------------------------

    static String target(Endpoint endpoint, RouteEntry route, String path, String query) {
        String base = endpoint.baseUri();
        int from = route.stripPrefix() ? route.prefix().length() : 0;
        StringBuilder sb = new StringBuilder(base.length() + path.length() - from + 1
                + (query == null ? 0 : query.length() + 1));
        sb.append(base);
        if (from >= path.length()) {
            sb.append('/');
        } else {
            sb.append(path, from, path.length());
        }
        if (query != null) {
            sb.append('?').append(query);
        }
        return sb.toString();
    }

    @Override
    protected void onProxyRewriteFailed(HttpServletRequest request, HttpServletResponse response) {
        ProxyExchange exchange = (ProxyExchange) request.getAttribute(ProxyExchange.ATTRIBUTE);
        if (exchange != null && exchange.script != null) {
            writeScriptOutcome(response, exchange);
            return;
        }
        try {
            if (exchange == null || exchange.route == null) {
                ErrorResponse.NO_ROUTE.write(response, null,
                        "no route for " + request.getMethod() + " " + request.getRequestURI());
            } else {
                exchange.error.write(response, exchange.route.id(),
                        "service '" + exchange.route.service() + "' has no available instances");
            }
        } catch (IOException e) {
            _log.debug("writing error response failed", e);
        }
    }

    @Override
    protected void addProxyHeaders(HttpServletRequest clientRequest, Request proxyRequest) {
        String remote = clientRequest.getRemoteAddr();
        String priorFor = clientRequest.getHeader("X-Forwarded-For");
        String host = clientRequest.getHeader("Host");
        proxyRequest.headers(headers -> {
            headers.put(HttpHeader.X_FORWARDED_FOR, priorFor == null ? remote : priorFor + ", " + remote);
            headers.put(HttpHeader.X_FORWARDED_PROTO, clientRequest.getScheme());
            if (host != null) {
                headers.put(HttpHeader.X_FORWARDED_HOST, host);
            }
        });
        applyScriptHeaders(clientRequest, proxyRequest);
    }

    @Override
    protected void sendProxyRequest(HttpServletRequest clientRequest, HttpServletResponse proxyResponse,
            Request proxyRequest) {
        ProxyExchange exchange = (ProxyExchange) clientRequest.getAttribute(ProxyExchange.ATTRIBUTE);
        proxyRequest.timeout(exchange.route.responseTimeoutMs(), TimeUnit.MILLISECONDS);
        exchange.endpoint.acquire();
        exchange.acquired = true;
        super.sendProxyRequest(clientRequest, proxyResponse, proxyRequest);
    }

    @Override
    protected void onProxyResponseSuccess(HttpServletRequest clientRequest, HttpServletResponse proxyResponse,
            Response serverResponse) {
        release(clientRequest);
        super.onProxyResponseSuccess(clientRequest, proxyResponse, serverResponse);
    }

    @Override
    protected void onProxyResponseFailure(HttpServletRequest clientRequest, HttpServletResponse proxyResponse,
            Response serverResponse, Throwable failure) {
        ProxyExchange exchange = release(clientRequest);
        if (proxyResponse.isCommitted() || exchange == null) {
            super.onProxyResponseFailure(clientRequest, proxyResponse, serverResponse, failure);
            return;
        }
        if (failure instanceof ScriptFailure scriptFailure) {
            writeScriptFailure(clientRequest, proxyResponse, exchange, scriptFailure);
            return;
        }
        boolean timeout = isTimeout(failure);
        ErrorResponse error = timeout ? ErrorResponse.UPSTREAM_TIMEOUT : ErrorResponse.UPSTREAM_UNREACHABLE;
        String message = timeout
                ? "backend " + exchange.endpoint.host() + ":" + exchange.endpoint.port() + " did not respond within "
                        + exchange.route.responseTimeoutMs() + " ms"
                : "backend " + exchange.endpoint.host() + ":" + exchange.endpoint.port() + " failed: " + failure;
        try {
            proxyResponse.resetBuffer();
            proxyResponse.setHeader("Connection", null);
            error.write(proxyResponse, exchange.route.id(), message);
        } catch (IOException | IllegalStateException e) {
            _log.debug("writing error response failed", e);
        } finally {
            if (clientRequest.isAsyncStarted()) {
                clientRequest.getAsyncContext().complete();
            }
        }
    }

    private static ProxyExchange release(HttpServletRequest clientRequest) {
        ProxyExchange exchange = (ProxyExchange) clientRequest.getAttribute(ProxyExchange.ATTRIBUTE);
        if (exchange != null) {
            exchange.release();
        }
        return exchange;
    }

    private static boolean isTimeout(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof TimeoutException) {
                return true;
            }
        }
        return false;
    }

    /**
     * Upstream client settings the servlet needs beyond Jetty's init parameters.
     *
     * @param connectTimeoutMs upstream connect timeout
     */
    public record UpstreamClientSettings(long connectTimeoutMs) {}
}
