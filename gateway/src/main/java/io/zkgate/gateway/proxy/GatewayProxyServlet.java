package io.zkgate.gateway.proxy;

import io.zkgate.gateway.balancer.Endpoint;
import io.zkgate.gateway.mirror.Mirror;
import io.zkgate.gateway.routing.Decision;
import io.zkgate.gateway.routing.ErrorResponse;
import io.zkgate.gateway.routing.Grpc;
import io.zkgate.gateway.routing.RequestRouter;
import io.zkgate.gateway.routing.RouteEntry;
import io.zkgate.gateway.routing.RouteIndex;
import io.zkgate.gateway.routing.Snapshot;
import io.zkgate.gateway.scripting.ScriptExchange;
import io.zkgate.gateway.upstream.UpstreamTlsContexts;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.http2.client.HTTP2Client;
import org.eclipse.jetty.http2.client.transport.HttpClientTransportOverHTTP2;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.ee10.proxy.AsyncProxyServlet;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.eclipse.jetty.client.AsyncRequestContent;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.util.Callback;

/**
 * The servlet front door: Jetty's {@link AsyncProxyServlet} extended through its hooks only, over the
 * {@link RequestRouter}, which decides the route, guards, backend and retries. {@code rewriteTarget} asks it;
 * {@code onProxyRewriteFailed} writes its refusal or the script's answer; the response hooks report the backend's
 * answer or failure back to it and send a retry where it allows one. A route's Lua {@code on_response} runs when the
 * backend's headers arrive. The request path takes no lock and calls no ZooKeeper.
 * Thread-safe: per-request state lives in a request attribute.
 */
public final class GatewayProxyServlet extends AsyncProxyServlet {
    private static final long serialVersionUID = 1L;
    /** Bodies up to this size are read whole before sending when the route retries, so a retry can resend them. */
    private static final int RETRY_BUFFER_BYTES = 64 * 1024;

    private final transient RequestRouter router;
    private final transient UpstreamClientSettings clientSettings;
    /** What the servlet's own client is configured by. */
    private final transient UpstreamClientKey plainKey;
    /** Sends the copies of mirrored requests, or null when the gateway mirrors nothing. */
    private final transient Mirror mirror;
    /** Upstream clients for routes that need their own (connect timeout, TLS, HTTP/2); created on first use. */
    private final transient UpstreamClients routeClients = new UpstreamClients(this::clientFor);
    /** The key of the client being created on this thread; null while the servlet creates its own. */
    private static final ThreadLocal<UpstreamClientKey> CREATING = new ThreadLocal<>();

    public GatewayProxyServlet(RequestRouter router, UpstreamClientSettings clientSettings) {
        this(router, clientSettings, null);
    }

    /** @param mirror sends the copies of mirrored requests, or null to send none */
    public GatewayProxyServlet(RequestRouter router, UpstreamClientSettings clientSettings, Mirror mirror) {
        this.router = router;
        this.clientSettings = clientSettings;
        this.plainKey = UpstreamClientKey.plain(clientSettings.connectTimeoutMs());
        this.mirror = mirror;
    }

    @Override
    protected HttpClient newHttpClient() {
        HttpClient client = super.newHttpClient();
        client.setConnectTimeout(clientSettings.connectTimeoutMs());
        return client;
    }

    /** Asks the router; a refusal or the script's own answer is written by {@link #onProxyRewriteFailed}. */
    @Override
    protected String rewriteTarget(HttpServletRequest request) {
        long start = System.nanoTime();
        String clientIp = router.clientIp(request.getRemoteAddr(), () -> Collections.list(
                request.getHeaders("X-Forwarded-For")));
        Decision decision = router.route(new ServletRequestView(request, clientIp));
        request.setAttribute(ProxyExchange.ATTRIBUTE, new ProxyExchange(decision, start, clientIp));
        if (router.tracksEnd(decision)) {
            RequestEnd.onEnd(ServletContextRequest.getServletContextRequest(request), () -> router.ended(decision));
        }
        return decision instanceof Decision.Forward forward ? forward.target(request.getQueryString()) : null;
    }


    /**
     * A route with its own connect timeout, upstream TLS or HTTP/2 gets a client configured so (shared by the routes
     * that agree); others use the servlet's client. The request speaks the route's protocol to the backend, whatever
     * the client spoke to the gateway: HTTP/1.1 even for an HTTP/1.0 client, as a proxy sends its own version, so
     * the upstream connection stays pooled (an HTTP/1.0 request would make the backend close it after each answer).
     */
    @Override
    protected Request newProxyRequest(HttpServletRequest request, String rewrittenTarget) {
        ProxyExchange exchange = (ProxyExchange) request.getAttribute(ProxyExchange.ATTRIBUTE);
        RouteEntry route = exchange == null ? null : exchange.route();
        // Most routes use the servlet's own client: tell them by the route's fields, without making a key per request
        UpstreamClientKey key = route == null || !RouteIndex.OWN_UPSTREAM_CLIENT.holds(route) ? plainKey
                : UpstreamClientKey.of(route, clientSettings.connectTimeoutMs());
        HttpVersion version = key.http2() ? HttpVersion.HTTP_2 : HttpVersion.HTTP_1_1;
        if (key.equals(plainKey)) {
            return super.newProxyRequest(request, rewrittenTarget).version(version);
        }
        HttpClient client = routeClients.forKey(key);
        return client.newRequest(rewrittenTarget)
                .method(request.getMethod())
                .version(version)
                .attribute(CLIENT_REQUEST_ATTRIBUTE, request);
    }

    /** A client for {@code key}: Jetty's proxy client settings, with the key's TLS context and transport. */
    private HttpClient clientFor(UpstreamClientKey key) {
        CREATING.set(key);
        try {
            HttpClient client = createHttpClient();
            client.setConnectTimeout(key.connectTimeoutMs());
            _log.info("upstream client ({}) started", key);
            return client;
        } catch (ServletException e) {
            throw new IllegalStateException("cannot create an upstream client (" + key + "): " + e.getMessage(), e);
        } finally {
            CREATING.remove();
        }
    }

    /** The TLS context of the client being created: the route's {@code upstream.tls}, else Jetty's default. */
    @Override
    protected ClientConnector newClientConnector() {
        UpstreamClientKey key = CREATING.get();
        if (key == null || key.tls() == null) {
            return super.newClientConnector();
        }
        ClientConnector connector = new ClientConnector();
        SslContextFactory.Client tls;
        try {
            tls = UpstreamTlsContexts.newClientContext(key.tls());
        } catch (IOException e) {
            throw new IllegalStateException("route upstream TLS unusable: " + e.getMessage(), e);
        }
        connector.setSslContextFactory(tls);
        return connector;
    }

    /** HTTP/2 routes get Jetty's HTTP/2 client transport: prior knowledge for h2c, ALPN over TLS for h2. */
    @Override
    protected HttpClient newHttpClient(ClientConnector connector) {
        UpstreamClientKey key = CREATING.get();
        if (key == null || !key.http2()) {
            return super.newHttpClient(connector);
        }
        return new HttpClient(new HttpClientTransportOverHTTP2(new HTTP2Client(connector)));
    }

    /**
     * Retires the upstream clients no route of {@code snapshot} needs any more; control thread, after each publish.
     */
    public void snapshotPublished(Snapshot snapshot) {
        Set<UpstreamClientKey> inUse = new HashSet<>();
        for (String id : snapshot.routes().ids(RouteIndex.OWN_UPSTREAM_CLIENT)) {
            inUse.add(UpstreamClientKey.of(snapshot.routes().entry(id), clientSettings.connectTimeoutMs()));
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

    /**
     * The router's retry decision for a failed attempt, once nothing was sent to the client yet.
     *
     * @return the next attempt, or null
     */
    private Decision.Forward planRetry(HttpServletRequest request, HttpServletResponse response, ProxyExchange failed,
            boolean neverSent) {
        if (response.isCommitted()) {
            return null;
        }
        return router.retry(failed.forward(), request.getMethod(), neverSent,
                !hasContent(request) || failed.body != null);
    }

    /** Sends the request again, as the next attempt of the same exchange. */
    private void retry(HttpServletRequest request, HttpServletResponse response, ProxyExchange failed,
            Decision.Forward next) {
        ProxyExchange attempt = failed.retryTo(next);
        request.setAttribute(ProxyExchange.ATTRIBUTE, attempt);
        Request proxyRequest = newProxyRequest(request, next.target(request.getQueryString()));
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
        boolean keep = exchange != null && exchange.route() != null && (exchange.route().upstream().retryAttempts() > 0
                || exchange.forward() != null && exchange.forward().mirror() != null);
        if (keep && length >= 0 && length <= RETRY_BUFFER_BYTES) {
            byte[] body = request.getInputStream().readNBytes((int) length);
            if (body.length == length) {
                exchange.body = body;
                return new BytesRequestContent(body);
            }
            throw new IOException("request body ended after " + body.length + " of " + length + " bytes");
        }
        return super.proxyRequestContent(request, response, proxyRequest);
    }

    /**
     * A client's {@code Expect: 100-continue} goes on to the backend, and the body is read once the backend asked for
     * it; but a mirrored request's small body is read whole first, the gateway answering the expectation itself (as
     * the loop engine does), so that its copy can carry the body. The backend then gets the body with the head and no
     * {@code Expect}.
     */
    @Override
    protected boolean expects100Continue(HttpServletRequest request) {
        return super.expects100Continue(request) && !readsBodyFirst(request,
                (ProxyExchange) request.getAttribute(ProxyExchange.ATTRIBUTE));
    }

    /** Whether the request's body is read whole before the backend is asked: it has a mirror that gets the body. */
    private boolean readsBodyFirst(HttpServletRequest request, ProxyExchange exchange) {
        Decision.Forward forward = exchange == null ? null : exchange.forward();
        long length = request.getContentLengthLong();
        return mirror != null && forward != null && forward.attempt() == 0 && forward.mirror() != null
                && length >= 0 && length <= RETRY_BUFFER_BYTES;
    }

    /**
     * Jetty's test, plus HTTP/2 requests of unknown length that declare a content type (gRPC calls): HTTP/2 has no
     * Transfer-Encoding to tell a streamed body by.
     */
    @Override
    protected boolean hasContent(HttpServletRequest request) {
        return super.hasContent(request) || (request.getContentLengthLong() < 0 && request.getContentType() != null
                && HttpVersion.HTTP_2.asString().equals(request.getProtocol()));
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
        long max = router.maxBodyBytes(exchange.route());
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
                writer = new ResponseWriter(response, serverResponse, () -> clientGone(request));
                request.setAttribute(ResponseWriter.ATTRIBUTE, writer);
                writer.data(buffer, offset, length, callback);
                response.getOutputStream().setWriteListener(writer); // calls onWritePossible, maybe on another thread
            } else {
                writer.data(buffer, offset, length, callback);
                writer.onWritePossible();
            }
        } catch (Throwable failure) {
            clientGone(request); // the write to the client threw
            callback.failed(failure);
            serverResponse.abort(failure);
        }
    }

    /** The client's request body broke off: what fails next is the client's doing, not the backend's. */
    @Override
    protected void onClientRequestFailure(HttpServletRequest clientRequest, Request proxyRequest,
            HttpServletResponse proxyResponse, Throwable failure) {
        clientGone(clientRequest);
        super.onClientRequestFailure(clientRequest, proxyRequest, proxyResponse, failure);
    }

    private static void clientGone(HttpServletRequest request) {
        ProxyExchange exchange = (ProxyExchange) request.getAttribute(ProxyExchange.ATTRIBUTE);
        if (exchange != null) {
            exchange.clientGone = true;
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
        private Decision.Forward retryOn;

        OutcomeListener(HttpServletRequest request, HttpServletResponse response) {
            super(request, response);
            this.request = request;
            this.response = response;
        }

        @Override
        public void onBegin(Response serverResponse) {
            ProxyExchange exchange = (ProxyExchange) request.getAttribute(ProxyExchange.ATTRIBUTE);
            int status = serverResponse.getStatus();
            if (exchange != null && exchange.endpoint() != null) {
                router.answered(exchange.endpoint(), status);
                if (status == 502 || status == 503) {
                    retryOn = planRetry(request, response, exchange, false);
                    if (retryOn != null) {
                        return;
                    }
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
            if (failed.backendMetrics != null) {
                failed.backendMetrics.responded(failed.upstreamNanos);
            }
            retry(request, response, failed, retryOn);
        }
    }

    /** Applies on_request's header edits after the gateway's own headers, so a script may override them. */
    private static void applyScriptHeaders(HttpServletRequest clientRequest, Request proxyRequest) {
        ProxyExchange exchange = (ProxyExchange) clientRequest.getAttribute(ProxyExchange.ATTRIBUTE);
        ScriptExchange script = exchange == null ? null : exchange.script();
        if (script != null && script.hasHeaderEdits()) {
            proxyRequest.headers(script::applyHeaderEdits);
        }
    }

    /** Runs on_response once the backend's headers are copied, before anything is sent to the client. */
    @Override
    protected void onServerResponseHeaders(HttpServletRequest clientRequest, HttpServletResponse proxyResponse,
            Response serverResponse) {
        super.onServerResponseHeaders(clientRequest, proxyResponse, serverResponse);
        if (HttpVersion.HTTP_2.asString().equals(clientRequest.getProtocol())
                && wantsTrailers(clientRequest, serverResponse)) {
            GrpcTrailers trailers = GrpcTrailers.forward(proxyResponse, serverResponse);
            clientRequest.setAttribute(GrpcTrailers.ATTRIBUTE, trailers);
        }
        ProxyExchange exchange = (ProxyExchange) clientRequest.getAttribute(ProxyExchange.ATTRIBUTE);
        if (exchange != null && exchange.decision.headers().hasResponse()) {
            exchange.decision.headers().applyResponse(proxyResponse);
            exchange.responseEdited = true;
        }
        ScriptExchange script = exchange == null ? null : exchange.script();
        if (script != null && script.hasOnResponse() && !script.onResponse(new ServletResponseView(proxyResponse), serverResponse.getStatus())) {
            serverResponse.abort(new ScriptFailure(script.failure()));
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

    /** A gRPC answer, or a client that said it takes trailers ({@code TE: trailers}), gets the backend's trailers. */
    private static boolean wantsTrailers(HttpServletRequest clientRequest, Response serverResponse) {
        String te = clientRequest.getHeader("TE");
        return Grpc.isGrpc(serverResponse.getHeaders().get(HttpHeader.CONTENT_TYPE))
                || (te != null && te.contains("trailers"));
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
            exchange.responseEdited = false;
            writeError(clientRequest, proxyResponse, exchange, ErrorResponse.SCRIPT_ERROR, failure.getMessage());
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

    /** Writes a refusal or the script's own answer; the router decided which. */
    @Override
    protected void onProxyRewriteFailed(HttpServletRequest request, HttpServletResponse response) {
        ProxyExchange exchange = (ProxyExchange) request.getAttribute(ProxyExchange.ATTRIBUTE);
        try {
            exchange.decision.headers().applyResponse(response);
            exchange.responseEdited = true;
            if (exchange.decision instanceof Decision.Answer answer) {
                answer.script().writeResponse(response);
            } else if (exchange.decision instanceof Decision.Refuse refuse) {
                if (refuse.error() == ErrorResponse.BODY_TOO_LARGE) {
                    response.setHeader("Connection", "close");
                }
                writeError(request, response, exchange, refuse.error(), refuse.message());
            } else if (exchange.decision instanceof Decision.Reply reply) {
                response.setStatus(reply.status());
                response.setContentLength(0);
            }
        } catch (IOException e) {
            _log.debug("writing error response failed", e);
        }
        record(request, exchange, response.getStatus());
    }

    @Override
    protected void addProxyHeaders(HttpServletRequest clientRequest, Request proxyRequest) {
        String remote = clientRequest.getRemoteAddr();
        String priorFor = clientRequest.getHeader("X-Forwarded-For");
        String host = clientRequest.getHeader("Host");
        String te = clientRequest.getHeader("TE");
        ProxyExchange exchange = (ProxyExchange) clientRequest.getAttribute(ProxyExchange.ATTRIBUTE);
        boolean preserveHost = host != null && exchange != null && exchange.route() != null
                && exchange.route().route().preservesHost();
        boolean bodyInHand = exchange != null && (exchange.body != null || readsBodyFirst(clientRequest, exchange));
        proxyRequest.headers(headers -> {
            if (preserveHost) {
                headers.put(HttpHeader.HOST, host);
            }
            headers.put(HttpHeader.X_FORWARDED_FOR, priorFor == null ? remote : priorFor + ", " + remote);
            headers.put(HttpHeader.X_FORWARDED_PROTO, clientRequest.getScheme());
            if (host != null) {
                headers.put(HttpHeader.X_FORWARDED_HOST, host);
            }
            if (te != null && te.contains("trailers")) {
                headers.put(HttpHeader.TE, "trailers"); // gRPC servers require it; the only TE HTTP/2 allows
            }
            if (exchange != null && exchange.decision.headers().hasUpstream()) {
                exchange.decision.headers().applyUpstream(headers);
            }
            if (bodyInHand) {
                headers.remove(HttpHeader.EXPECT); // the gateway met the expectation: the body goes with the head
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
        proxyRequest.idleTimeout(exchange.route().responseTimeoutMs(), TimeUnit.MILLISECONDS);
        long deadline = Grpc.timeoutMs(clientRequest.getHeader(Grpc.TIMEOUT));
        if (deadline > 0) {
            proxyRequest.timeout(deadline, TimeUnit.MILLISECONDS); // a gRPC call's deadline bounds the whole call
        }
        exchange.backendMetrics = router.backendMetrics(exchange.endpoint());
        if (exchange.backendMetrics != null) {
            exchange.backendMetrics.picked();
        }
        exchange.endpoint().acquire();
        exchange.acquired = true;
        exchange.upstreamStartNanos = System.nanoTime();
        Decision.Forward forward = exchange.forward();
        if (mirror != null && forward.attempt() == 0 && forward.mirror() != null) {
            mirror(clientRequest, exchange, forward);
        }
        super.sendProxyRequest(clientRequest, proxyResponse, proxyRequest);
    }

    /** Hands the request's copy to the mirror sender: with its body when it was read whole, else not at all. */
    private void mirror(HttpServletRequest request, ProxyExchange exchange, Decision.Forward forward) {
        if (hasContent(request) && exchange.body == null) {
            Mirror.bodyNotCopied(forward);
            return;
        }
        HttpFields.Mutable headers = HttpFields.build();
        for (Enumeration<String> names = request.getHeaderNames(); names.hasMoreElements(); ) {
            String name = names.nextElement();
            for (Enumeration<String> values = request.getHeaders(name); values.hasMoreElements(); ) {
                headers.add(name, values.nextElement());
            }
        }
        mirror.send(forward, request.getMethod(), request.getQueryString(), headers, request.getRemoteAddr(),
                exchange.body);
    }

    @Override
    protected void onProxyResponseSuccess(HttpServletRequest clientRequest, HttpServletResponse proxyResponse,
            Response serverResponse) {
        ProxyExchange exchange = release(clientRequest);
        if (exchange != null) {
            if (exchange.backendMetrics != null) {
                exchange.backendMetrics.responded(exchange.upstreamNanos);
            }
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
                writeError(clientRequest, proxyResponse, exchange, ErrorResponse.BODY_TOO_LARGE, tooLarge.getMessage());
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
        if (exchange.clientGone) {
            // Not the backend's failure: no ejection streak, no failure metric, no retry. Counted with the status the
            // client got, or 499 (client closed request) before any, as the loop engine does.
            record(clientRequest, exchange, proxyResponse.isCommitted() ? proxyResponse.getStatus() : 499);
            if (clientRequest.isAsyncStarted()) {
                clientRequest.getAsyncContext().complete();
            }
            return;
        }
        boolean timeout = isTimeout(failure);
        if (exchange.backendMetrics != null) {
            exchange.backendMetrics.failed(timeout);
        }
        Endpoint endpoint = exchange.endpoint();
        if (endpoint != null) {
            router.failed(endpoint);
            boolean notSent = neverSent(failure);
            boolean noResponse = serverResponse == null || serverResponse.getStatus() <= 0;
            if (!timeout && (notSent || noResponse)) {
                Decision.Forward next = planRetry(clientRequest, proxyResponse, exchange, notSent);
                if (next != null) {
                    retry(clientRequest, proxyResponse, exchange, next);
                    return;
                }
            }
        }
        if (proxyResponse.isCommitted()) {
            record(clientRequest, exchange, proxyResponse.getStatus());
            GrpcTrailers trailers = (GrpcTrailers) clientRequest.getAttribute(GrpcTrailers.ATTRIBUTE);
            if (trailers != null) {
                // A gRPC call whose backend failed mid-stream ends with UNAVAILABLE in its trailers, as the client
                // can act on it, rather than with a reset stream.
                trailers.fail(timeout ? Grpc.DEADLINE_EXCEEDED : Grpc.UNAVAILABLE, "backend "
                        + exchange.upstreamAddress() + (timeout ? " went silent" : " failed") + " mid-stream: " + failure);
                clientRequest.getAsyncContext().complete();
                return;
            }
            super.onProxyResponseFailure(clientRequest, proxyResponse, serverResponse, failure);
            return;
        }
        ErrorResponse error = timeout ? ErrorResponse.UPSTREAM_TIMEOUT : ErrorResponse.UPSTREAM_UNREACHABLE;
        String message = timeout
                ? "backend " + exchange.upstreamAddress() + " did not respond within "
                        + exchange.route().responseTimeoutMs() + " ms"
                : "backend " + exchange.upstreamAddress() + " failed: " + failure;
        try {
            proxyResponse.resetBuffer();
            proxyResponse.setHeader("Connection", null);
            writeError(clientRequest, proxyResponse, exchange, error, message);
            record(clientRequest, exchange, error.status());
        } catch (IOException | IllegalStateException e) {
            _log.debug("writing error response failed", e);
        } finally {
            if (clientRequest.isAsyncStarted()) {
                clientRequest.getAsyncContext().complete();
            }
        }
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
        response.setStatus(200);
        response.setContentType(Grpc.CONTENT_TYPE);
        response.setHeader(Grpc.STATUS, Integer.toString(Grpc.status(error)));
        response.setHeader(Grpc.MESSAGE, Grpc.encodeMessage(error.code() + ": " + message));
    }

    private void record(HttpServletRequest request, ProxyExchange exchange, int status) {
        router.record(exchange.route(), request.getMethod(), status, exchange.startNanos);
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
