package io.zkgate.gateway.proxy;

import io.zkgate.gateway.balancer.Endpoint;
import io.zkgate.gateway.routing.RequestKey;
import io.zkgate.gateway.routing.RouteEntry;
import io.zkgate.gateway.routing.Snapshot;
import io.zkgate.gateway.routing.SnapshotRef;
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
 * answer with the contract's JSON errors. The request path takes no lock and calls no ZooKeeper.
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
        RequestKey hashKey = route.requestKey();
        Endpoint endpoint = route.balancer().pick(hashKey == null ? null : hashKey.extract(request, path));
        if (endpoint == null) {
            request.setAttribute(ProxyExchange.ATTRIBUTE, ProxyExchange.failed(route, ErrorResponse.NO_INSTANCES));
            return null;
        }
        request.setAttribute(ProxyExchange.ATTRIBUTE, ProxyExchange.to(route, endpoint));
        return target(endpoint, route, path, request.getQueryString());
    }

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
