package io.zkgate.gateway.proxy;

import io.zkgate.gateway.balancer.Endpoint;
import io.zkgate.gateway.metrics.GatewayMetrics;
import io.zkgate.gateway.metrics.RouteMetrics;
import io.zkgate.gateway.routing.RequestKey;
import io.zkgate.gateway.routing.RouteEntry;
import io.zkgate.gateway.routing.Snapshot;
import io.zkgate.gateway.routing.SnapshotRef;
import io.zkgate.schema.Route;
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
    private final transient GatewayMetrics metrics;
    private final boolean recordMetrics;
    private final long defaultMaxBodyBytes;

    /** @param recordMetrics false to record nothing per request (to measure what metrics cost) */
    public GatewayProxyServlet(SnapshotRef snapshots, UpstreamClientSettings upstream, GatewayMetrics metrics,
            boolean recordMetrics, long defaultMaxBodyBytes) {
        this.defaultMaxBodyBytes = defaultMaxBodyBytes;
        this.snapshots = snapshots;
        this.upstream = upstream;
        this.metrics = metrics;
        this.recordMetrics = recordMetrics;
    }

    @Override
    protected HttpClient newHttpClient() {
        HttpClient client = super.newHttpClient();
        client.setConnectTimeout(upstream.connectTimeoutMs());
        return client;
    }

    @Override
    protected String rewriteTarget(HttpServletRequest request) {
        long start = System.nanoTime();
        Snapshot snapshot = snapshots.current();
        String path = request.getRequestURI();
        RouteEntry route = snapshot.routes().match(request.getServerName(), path, request.getMethod());
        if (route == null) {
            request.setAttribute(ProxyExchange.ATTRIBUTE, ProxyExchange.failed(null, ErrorResponse.NO_ROUTE, start));
            return null;
        }
        long length = request.getContentLengthLong();
        if (length > 0 && length > maxBodyBytes(route)) {
            request.setAttribute(ProxyExchange.ATTRIBUTE, ProxyExchange.failed(route, ErrorResponse.BODY_TOO_LARGE, start));
            return null;
        }
        RequestKey hashKey = route.requestKey();
        Endpoint endpoint = route.balancer().pick(hashKey == null ? null : hashKey.extract(request, path));
        if (endpoint == null) {
            request.setAttribute(ProxyExchange.ATTRIBUTE, ProxyExchange.failed(route, ErrorResponse.NO_INSTANCES, start));
            return null;
        }
        request.setAttribute(ProxyExchange.ATTRIBUTE, ProxyExchange.to(route, endpoint, start));
        return target(endpoint, route, path, request.getQueryString());
    }

    private long maxBodyBytes(RouteEntry route) {
        Route.Limits limits = route.route().limits();
        return limits == null || limits.maxBodyBytes() == null ? defaultMaxBodyBytes : limits.maxBodyBytes();
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
            } else if (exchange.error == ErrorResponse.BODY_TOO_LARGE) {
                response.setHeader("Connection", "close");
                exchange.error.write(response, exchange.route.id(), "request body of " + request.getContentLengthLong()
                        + " bytes is over the route's limit of " + maxBodyBytes(exchange.route) + " bytes");
            } else {
                exchange.error.write(response, exchange.route.id(),
                        "service '" + exchange.route.service() + "' has no available instances");
            }
        } catch (IOException e) {
            _log.debug("writing error response failed", e);
        }
        if (exchange != null) {
            record(request, exchange, response.getStatus());
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
        if (recordMetrics) {
            exchange.backend = metrics.backend(exchange.endpoint);
            exchange.backend.picked();
        }
        exchange.endpoint.acquire();
        exchange.acquired = true;
        exchange.upstreamStartNanos = System.nanoTime();
        super.sendProxyRequest(clientRequest, proxyResponse, proxyRequest);
    }

    @Override
    protected void onProxyResponseSuccess(HttpServletRequest clientRequest, HttpServletResponse proxyResponse,
            Response serverResponse) {
        ProxyExchange exchange = release(clientRequest);
        if (exchange != null && exchange.backend != null) {
            exchange.backend.responded(exchange.upstreamNanos);
            record(clientRequest, exchange, proxyResponse.getStatus());
        }
        super.onProxyResponseSuccess(clientRequest, proxyResponse, serverResponse);
    }

    @Override
    protected void onProxyResponseFailure(HttpServletRequest clientRequest, HttpServletResponse proxyResponse,
            Response serverResponse, Throwable failure) {
        ProxyExchange exchange = release(clientRequest);
        if (exchange == null) {
            super.onProxyResponseFailure(clientRequest, proxyResponse, serverResponse, failure);
            return;
        }
        boolean timeout = isTimeout(failure);
        if (exchange.backend != null) {
            exchange.backend.failed(timeout);
        }
        if (proxyResponse.isCommitted()) {
            record(clientRequest, exchange, proxyResponse.getStatus());
            super.onProxyResponseFailure(clientRequest, proxyResponse, serverResponse, failure);
            return;
        }
        ErrorResponse error = timeout ? ErrorResponse.UPSTREAM_TIMEOUT : ErrorResponse.UPSTREAM_UNREACHABLE;
        String message = timeout
                ? "backend " + exchange.endpoint.host() + ":" + exchange.endpoint.port() + " did not respond within "
                        + exchange.route.responseTimeoutMs() + " ms"
                : "backend " + exchange.endpoint.host() + ":" + exchange.endpoint.port() + " failed: " + failure;
        try {
            proxyResponse.resetBuffer();
            proxyResponse.setHeader("Connection", null);
            error.write(proxyResponse, exchange.route.id(), message);
            record(clientRequest, exchange, error.status());
        } catch (IOException | IllegalStateException e) {
            _log.debug("writing error response failed", e);
        } finally {
            if (clientRequest.isAsyncStarted()) {
                clientRequest.getAsyncContext().complete();
            }
        }
    }

    private void record(HttpServletRequest request, ProxyExchange exchange, int status) {
        if (!recordMetrics) {
            return;
        }
        RouteMetrics m = exchange.route == null ? metrics.noRoute() : exchange.route.metrics();
        m.record(request.getMethod(), status, System.nanoTime() - exchange.startNanos);
    }

    private static ProxyExchange release(HttpServletRequest clientRequest) {
        ProxyExchange exchange = (ProxyExchange) clientRequest.getAttribute(ProxyExchange.ATTRIBUTE);
        if (exchange != null) {
            exchange.release(System.nanoTime());
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
