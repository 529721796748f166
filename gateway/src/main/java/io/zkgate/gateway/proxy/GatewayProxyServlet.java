package io.zkgate.gateway.proxy;

import io.zkgate.gateway.balancer.Endpoint;
import io.zkgate.gateway.metrics.GatewayMetrics;
import io.zkgate.gateway.metrics.RouteMetrics;
import io.zkgate.gateway.routing.RequestKey;
import io.zkgate.gateway.routing.RouteEntry;
import io.zkgate.gateway.routing.Snapshot;
import io.zkgate.gateway.routing.SnapshotRef;
import io.zkgate.gateway.routing.UpstreamPolicy;
import io.zkgate.gateway.scripting.ScriptExchange;
import io.zkgate.schema.Route;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.ee10.proxy.AsyncProxyServlet;
import org.eclipse.jetty.client.AsyncRequestContent;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.util.Callback;

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
    /** Bodies up to this size are read whole before sending when the route retries, so a retry can resend them. */
    private static final int RETRY_BUFFER_BYTES = 64 * 1024;
    /** Methods that may be sent twice (RFC 9110, 9.2.2). */
    private static final Set<String> IDEMPOTENT = Set.of("GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE");

    private final transient SnapshotRef snapshots;
    private final transient UpstreamClientSettings upstream;
    private final transient GatewayMetrics metrics;
    private final boolean recordMetrics;
    private final long defaultMaxBodyBytes;
    private final transient Consumer<Endpoint> ejector;
    private final int ejectAfterFailures;
    /** Upstream clients for routes with their own connect timeout, by that timeout; created on first use. */
    private final transient UpstreamClients routeClients = new UpstreamClients(this::clientWithConnectTimeout);

    /** @param recordMetrics false to record nothing per request (to measure what metrics cost) */
    public GatewayProxyServlet(SnapshotRef snapshots, UpstreamClientSettings upstream, GatewayMetrics metrics,
            boolean recordMetrics, long defaultMaxBodyBytes, Consumer<Endpoint> ejector, int ejectAfterFailures) {
        this.defaultMaxBodyBytes = defaultMaxBodyBytes;
        this.ejector = ejector;
        this.ejectAfterFailures = ejectAfterFailures;
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
        if (isWebSocketUpgrade(request)) {
            request.setAttribute(ProxyExchange.ATTRIBUTE,
                    ProxyExchange.failed(route, ErrorResponse.UPGRADE_NOT_SUPPORTED, start));
            return null;
        }
        long length = request.getContentLengthLong();
        if (length > 0 && length > maxBodyBytes(route)) {
            request.setAttribute(ProxyExchange.ATTRIBUTE, ProxyExchange.failed(route, ErrorResponse.BODY_TOO_LARGE, start));
            return null;
        }
        ScriptExchange script = null;
        if (route.script() != null) {
            long scriptStart = System.nanoTime();
            script = runOnRequest(request, route, start);
            if (recordMetrics) {
                metrics.scriptDuration(route.script().name())
                        .update(System.nanoTime() - scriptStart, TimeUnit.NANOSECONDS);
            }
        }
        if (script != null && (script.failed() || script.responded())) {
            return null;
        }
        String key = script == null ? null : script.hashKey();
        if (key == null) {
            RequestKey hashKey = route.requestKey();
            key = hashKey == null ? null : hashKey.extract(request, path);
        }
        Endpoint endpoint = route.balancer().pick(key);
        if (endpoint == null) {
            request.setAttribute(ProxyExchange.ATTRIBUTE, ProxyExchange.failed(route, ErrorResponse.NO_INSTANCES, start));
            return null;
        }
        if (route.upstream().retryAttempts() > 0) {
            route.upstream().budget().request();
        }
        ProxyExchange exchange = ProxyExchange.to(route, endpoint, script, start);
        exchange.hashKey = key;
        request.setAttribute(ProxyExchange.ATTRIBUTE, exchange);
        return target(exchange, request);
    }

    /**
     * A WebSocket upgrade that {@link WebSocketTunnel} left to the servlet: one that is not a GET. The servlet proxy
     * cannot tunnel it, and forwarding it with its hop-by-hop Upgrade stripped would get the client an ordinary
     * response it cannot use, so the gateway says so instead. Other upgrades (h2c) are optional for the server and
     * are served as plain HTTP/1.1.
     */
    private static boolean isWebSocketUpgrade(HttpServletRequest request) {
        return WebSocketTunnel.asksForWebSocket(request.getHeader("Upgrade"));
    }

    private static String target(ProxyExchange exchange, HttpServletRequest request) {
        String upstreamPath = exchange.script == null ? null : exchange.script.upstreamPath();
        return upstreamPath == null
                ? target(exchange.endpoint, exchange.route, request.getRequestURI(), request.getQueryString())
                : target(exchange.endpoint, upstreamPath, request.getQueryString());
    }

    // ---- upstream clients, retries and outlier accounting ----------------------------------------------------------

    /** A route with its own connect timeout gets a client with that timeout; others use the servlet's client. */
    @Override
    protected Request newProxyRequest(HttpServletRequest request, String rewrittenTarget) {
        ProxyExchange exchange = (ProxyExchange) request.getAttribute(ProxyExchange.ATTRIBUTE);
        long connect = exchange == null ? -1 : exchange.route.upstream().connectTimeoutMs();
        if (connect < 0 || connect == upstream.connectTimeoutMs()) {
            return super.newProxyRequest(request, rewrittenTarget);
        }
        HttpClient client = routeClients.forConnectTimeout(connect);
        return client.newRequest(rewrittenTarget)
                .method(request.getMethod())
                .version(HttpVersion.fromString(request.getProtocol()))
                .attribute(CLIENT_REQUEST_ATTRIBUTE, request);
    }

    private HttpClient clientWithConnectTimeout(long connectMs) {
        try {
            HttpClient client = createHttpClient();
            client.setConnectTimeout(connectMs);
            return client;
        } catch (ServletException e) {
            throw new IllegalStateException("cannot create an upstream client: " + e.getMessage(), e);
        }
    }

    /**
     * Retires the upstream clients of connect timeouts no route of {@code snapshot} uses; control thread, after each
     * publish.
     */
    public void snapshotPublished(Snapshot snapshot) {
        Set<Long> inUse = new HashSet<>();
        for (RouteEntry e : snapshot.routes().entries()) {
            inUse.add(e.upstream().connectTimeoutMs());
        }
        routeClients.retainOnly(inUse);
    }

    /** Upstream clients besides the default one, for routes with their own connect timeout. */
    public int routeClientCount() {
        return routeClients.size();
    }

    @Override
    public void destroy() {
        routeClients.stopAll();
        super.destroy();
    }

    /** Counts a backend failure toward its ejection. */
    private void backendFailed(Endpoint endpoint) {
        if (endpoint.health().failed(ejectAfterFailures)) {
            ejector.accept(endpoint);
        }
    }

    /**
     * Decides whether a failed attempt is retried: only before anything was sent to the client, only for a request
     * without a body (it is streamed, so it cannot be sent twice), for an idempotent method or a request that never
     * reached the backend, within the route's attempts and retry budget, and only on another backend.
     *
     * @return the backend to retry on, or null
     */
    private Endpoint planRetry(HttpServletRequest request, HttpServletResponse response, ProxyExchange failed,
            boolean neverSent) {
        UpstreamPolicy policy = failed.route.upstream();
        if (response.isCommitted() || failed.attempt >= policy.retryAttempts()
                || (hasContent(request) && failed.body == null)
                || !(neverSent || IDEMPOTENT.contains(request.getMethod()))) {
            return null;
        }
        Endpoint next = failed.route.balancer().pickOther(failed.hashKey, failed::tried);
        if (next == null) {
            return null;
        }
        boolean allowed = policy.budget().tryRetry();
        if (recordMetrics) {
            metrics.retry(failed.route.id(), allowed);
        }
        return allowed ? next : null;
    }

    /** Sends the request again, to {@code next}, as the next attempt of the same exchange. */
    private void retry(HttpServletRequest request, HttpServletResponse response, ProxyExchange failed, Endpoint next) {
        ProxyExchange attempt = failed.retryTo(next);
        request.setAttribute(ProxyExchange.ATTRIBUTE, attempt);
        Request proxyRequest = newProxyRequest(request, target(attempt, request));
        copyRequestHeaders(request, proxyRequest);
        addProxyHeaders(request, proxyRequest);
        if (attempt.body != null) {
            proxyRequest.body(new BytesRequestContent(attempt.body));
        }
        sendProxyRequest(request, response, proxyRequest);
    }

    /**
     * A small body of a route that retries is read whole first (a blocking read, cheap for what is already
     * received), so that a retry can send it again; larger or chunked bodies stream as Jetty streams them.
     */
    @Override
    protected Request.Content proxyRequestContent(HttpServletRequest request, HttpServletResponse response,
            Request proxyRequest) throws IOException {
        ProxyExchange exchange = (ProxyExchange) request.getAttribute(ProxyExchange.ATTRIBUTE);
        long length = request.getContentLengthLong();
        if (exchange != null && exchange.route.upstream().retryAttempts() > 0 && length >= 0
                && length <= RETRY_BUFFER_BYTES) {
            byte[] body = request.getInputStream().readNBytes((int) length);
            if (body.length == length) {
                exchange.body = body;
                return new BytesRequestContent(body);
            }
            throw new IOException("request body ended after " + body.length + " of " + length + " bytes");
        }
        return super.proxyRequestContent(request, response, proxyRequest);
    }

    private static boolean neverSent(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof ConnectException || t instanceof NoRouteToHostException
                    || t instanceof UnresolvedAddressException
                    || (t instanceof SocketTimeoutException && String.valueOf(t.getMessage()).contains("onnect"))) {
                return true;
            }
        }
        return false;
    }

    /**
     * A body of unknown length (chunked) is counted as it streams; past the route's limit the exchange is aborted
     * and answered 413 (a declared Content-Length over the limit is refused before anything is sent).
     */
    @Override
    protected ReadListener newReadListener(HttpServletRequest request, HttpServletResponse response,
            Request proxyRequest, AsyncRequestContent content) {
        ProxyExchange exchange = (ProxyExchange) request.getAttribute(ProxyExchange.ATTRIBUTE);
        if (exchange == null || request.getContentLengthLong() >= 0) {
            return super.newReadListener(request, response, proxyRequest, content);
        }
        long max = maxBodyBytes(exchange.route);
        return new StreamReader(request, response, proxyRequest, content) {
            private long total;

            @Override
            protected void onRequestContent(HttpServletRequest clientRequest, Request upstreamRequest,
                    AsyncRequestContent upstreamContent, byte[] buffer, int offset, int length, Callback callback) {
                total += length;
                if (total > max) {
                    callback.failed(new BodyTooLargeException(max));
                    return;
                }
                super.onRequestContent(clientRequest, upstreamRequest, upstreamContent, buffer, offset, length, callback);
            }
        };
    }

    /** A streamed request body went over the route's limit. */
    private static final class BodyTooLargeException extends IOException {
        private static final long serialVersionUID = 1L;

        BodyTooLargeException(long max) {
            super("request body is over the route's limit of " + max + " bytes", null);
        }
    }

    /** Jetty's content hand-off with {@link ResponseWriter} in place of its writer, so streamed bodies flow. */
    @Override
    protected void onResponseContent(HttpServletRequest request, HttpServletResponse response,
            Response serverResponse, byte[] buffer, int offset, int length, Callback callback) {
        try {
            ResponseWriter writer = (ResponseWriter) request.getAttribute(ResponseWriter.ATTRIBUTE);
            if (writer == null) {
                writer = new ResponseWriter(response, serverResponse);
                request.setAttribute(ResponseWriter.ATTRIBUTE, writer);
                writer.data(buffer, offset, length, callback);
                response.getOutputStream().setWriteListener(writer); // calls onWritePossible, maybe on another thread
            } else {
                writer.data(buffer, offset, length, callback);
                writer.onWritePossible();
            }
        } catch (Throwable failure) {
            callback.failed(failure);
            serverResponse.abort(failure);
        }
    }

    @Override
    protected Response.Listener newProxyResponseListener(HttpServletRequest request,
            HttpServletResponse response) {
        return new OutcomeListener(request, response);
    }

    /**
     * Jetty's response listener plus outlier accounting by status, and a retry instead of forwarding a 502 or 503
     * from the backend when {@link #planRetry} allows one: that response is then read and dropped, never sent.
     */
    private final class OutcomeListener extends ProxyResponseListener {
        private final HttpServletRequest request;
        private final HttpServletResponse response;
        private Endpoint retryOn;

        OutcomeListener(HttpServletRequest request, HttpServletResponse response) {
            super(request, response);
            this.request = request;
            this.response = response;
        }

        @Override
        public void onBegin(Response serverResponse) {
            ProxyExchange exchange = (ProxyExchange) request.getAttribute(ProxyExchange.ATTRIBUTE);
            int status = serverResponse.getStatus();
            if (exchange != null && exchange.endpoint != null) {
                if (status >= 500) {
                    backendFailed(exchange.endpoint);
                    if (status == 502 || status == 503) {
                        retryOn = planRetry(request, response, exchange, false);
                        if (retryOn != null) {
                            return;
                        }
                    }
                } else {
                    exchange.endpoint.health().succeeded();
                }
            }
            super.onBegin(serverResponse);
        }

        @Override
        public void onHeaders(Response serverResponse) {
            if (retryOn == null) {
                super.onHeaders(serverResponse);
            }
        }

        @Override
        public void onContent(Response serverResponse, Content.Chunk chunk, Runnable demander) {
            if (retryOn == null) {
                super.onContent(serverResponse, chunk, demander);
            } else {
                demander.run();
            }
        }

        @Override
        public void onComplete(Result result) {
            if (retryOn == null) {
                super.onComplete(result);
                return;
            }
            ProxyExchange failed = release(request);
            if (failed.backend != null) {
                failed.backend.responded(failed.upstreamNanos);
            }
            retry(request, response, failed, retryOn);
        }
    }

    private long maxBodyBytes(RouteEntry route) {
        Route.Limits limits = route.route().limits();
        return limits == null || limits.maxBodyBytes() == null ? defaultMaxBodyBytes : limits.maxBodyBytes();
    }

    // ---- Lua filter ---------------------------------------------------------------------------------------------

    /**
     * Runs the route's on_request. When it failed or answered by itself, the exchange is recorded for
     * {@link #onProxyRewriteFailed} to write, and no backend is picked.
     */
    private static ScriptExchange runOnRequest(HttpServletRequest request, RouteEntry route, long start) {
        ScriptExchange script = route.script().onRequest(request);
        if (script.failed() || script.responded()) {
            request.setAttribute(ProxyExchange.ATTRIBUTE, ProxyExchange.scripted(route, script, start));
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
            return;
        }
        if (isEventStream(serverResponse)) {
            try {
                proxyResponse.flushBuffer(); // an event stream's client learns it is open before the first event
            } catch (IOException e) {
                serverResponse.abort(e);
            }
        }
    }

    private static boolean isEventStream(Response serverResponse) {
        String type = serverResponse.getHeaders().get(HttpHeader.CONTENT_TYPE);
        return type != null && type.regionMatches(true, 0, "text/event-stream", 0, 17);
    }

    /** Writes on_response's failure in place of the backend's response, which was not sent yet. */
    private void writeScriptFailure(HttpServletRequest clientRequest, HttpServletResponse proxyResponse,
            ProxyExchange exchange, ScriptFailure failure) {
        try {
            proxyResponse.reset();
            ErrorResponse.SCRIPT_ERROR.write(proxyResponse, exchange.route.id(), failure.getMessage());
            record(clientRequest, exchange, ErrorResponse.SCRIPT_ERROR.status());
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
            record(request, exchange, response.getStatus());
            return;
        }
        try {
            if (exchange == null || exchange.route == null) {
                ErrorResponse.NO_ROUTE.write(response, null,
                        "no route for " + request.getMethod() + " " + request.getRequestURI());
            } else if (exchange.error == ErrorResponse.UPGRADE_NOT_SUPPORTED) {
                exchange.error.write(response, exchange.route.id(), "a WebSocket handshake must be a GET "
                        + "(RFC 6455); the backend was not contacted");
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
        applyScriptHeaders(clientRequest, proxyRequest);
    }

    @Override
    protected void sendProxyRequest(HttpServletRequest clientRequest, HttpServletResponse proxyResponse,
            Request proxyRequest) {
        ProxyExchange exchange = (ProxyExchange) clientRequest.getAttribute(ProxyExchange.ATTRIBUTE);
        // The response timeout bounds silence, like nginx's proxy_read_timeout: no response start, or no bytes for
        // that long, fails the exchange with 504; a long download that keeps flowing is not cut.
        proxyRequest.timeout(0, TimeUnit.MILLISECONDS);
        proxyRequest.idleTimeout(exchange.route.responseTimeoutMs(), TimeUnit.MILLISECONDS);
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
        if (failure instanceof ScriptFailure scriptFailure) {
            writeScriptFailure(clientRequest, proxyResponse, exchange, scriptFailure);
            return;
        }
        BodyTooLargeException tooLarge = cause(failure, BodyTooLargeException.class);
        if (tooLarge != null && !proxyResponse.isCommitted()) {
            try {
                proxyResponse.resetBuffer();
                proxyResponse.setHeader("Connection", "close");
                ErrorResponse.BODY_TOO_LARGE.write(proxyResponse, exchange.route.id(), tooLarge.getMessage());
                record(clientRequest, exchange, ErrorResponse.BODY_TOO_LARGE.status());
            } catch (IOException | IllegalStateException e) {
                _log.debug("writing error response failed", e);
            } finally {
                if (clientRequest.isAsyncStarted()) {
                    clientRequest.getAsyncContext().complete();
                }
            }
            return;
        }
        boolean timeout = isTimeout(failure);
        if (exchange.backend != null) {
            exchange.backend.failed(timeout);
        }
        if (exchange.endpoint != null) {
            backendFailed(exchange.endpoint);
            boolean notSent = neverSent(failure);
            boolean noResponse = serverResponse == null || serverResponse.getStatus() <= 0;
            if (!timeout && (notSent || noResponse)) {
                Endpoint next = planRetry(clientRequest, proxyResponse, exchange, notSent);
                if (next != null) {
                    retry(clientRequest, proxyResponse, exchange, next);
                    return;
                }
            }
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

    private static <T extends Throwable> T cause(Throwable failure, Class<T> type) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }

    private static boolean isTimeout(Throwable failure) {
        return cause(failure, TimeoutException.class) != null;
    }

    /**
     * Upstream client settings the servlet needs beyond Jetty's init parameters.
     *
     * @param connectTimeoutMs upstream connect timeout
     */
    public record UpstreamClientSettings(long connectTimeoutMs) {}
}
