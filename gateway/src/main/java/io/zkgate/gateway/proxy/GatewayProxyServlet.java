package io.zkgate.gateway.proxy;

import io.zkgate.gateway.mirror.Mirror;
import io.zkgate.gateway.routing.Decision;
import io.zkgate.gateway.routing.RequestRouter;
import io.zkgate.gateway.routing.Snapshot;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Collections;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.ee10.proxy.AsyncProxyServlet;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.eclipse.jetty.client.AsyncRequestContent;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.client.transport.HttpClientTransportDynamic;
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

    private final transient RequestRouter router;
    private final transient GatewayAnswers answers;
    private final transient UpstreamClientSettings clientSettings;
    /** Sends the copies of mirrored requests, or null when the gateway mirrors nothing. */
    private final transient Mirror mirror;
    /** Upstream clients for routes that need their own (connect timeout, TLS, HTTP/2); created on first use. */
    private final transient UpstreamClients routeClients;
    /** The key of the client being created on this thread; null while the servlet creates its own. */
    private static final ThreadLocal<UpstreamClientKey> CREATING = new ThreadLocal<>();

    public GatewayProxyServlet(RequestRouter router, UpstreamClientSettings clientSettings) {
        this(router, clientSettings, null);
    }

    /** @param mirror sends the copies of mirrored requests, or null to send none */
    public GatewayProxyServlet(RequestRouter router, UpstreamClientSettings clientSettings, Mirror mirror) {
        this.router = router;
        this.answers = new GatewayAnswers(router);
        this.clientSettings = clientSettings;
        this.routeClients = new UpstreamClients(this::clientFor, clientSettings.connectTimeoutMs());
        this.mirror = mirror;
    }

    /** Jetty's proxy client, which also lets a backend's 102 and 103 through as interim responses. */
    @Override
    protected HttpClient createHttpClient() throws ServletException {
        HttpClient client = super.createHttpClient();
        InterimResponses.install(client, CLIENT_REQUEST_ATTRIBUTE);
        return client;
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
        ProxyExchange exchange = ProxyExchange.of(request);
        UpstreamClientKey key = routeClients.keyFor(exchange == null ? null : exchange.route());
        HttpVersion version = key.http2() ? HttpVersion.HTTP_2 : HttpVersion.HTTP_1_1;
        if (routeClients.isPlain(key)) {
            return super.newProxyRequest(request, rewrittenTarget).version(version);
        }
        return routeClients.forKey(key).newRequest(rewrittenTarget)
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

    /**
     * The TLS context of the client being created: the route's {@code upstream.tls}, else the JDK's default, loaded when
     * the client first connects to an {@code https} backend.
     */
    @Override
    protected ClientConnector newClientConnector() {
        UpstreamClientKey key = CREATING.get();
        if (key == null || key.tls() == null) {
            return new LazyTlsClientConnector(); // Jetty's own, with a TLS context started on first use
        }
        return UpstreamClients.tlsConnector(key);
    }

    /**
     * HTTP/2 routes get Jetty's HTTP/2 client transport (prior knowledge for h2c, ALPN over TLS for h2), the others
     * Jetty's default transport; both as an {@link UpstreamHttpClient}, which loads no content decoders, and takes
     * response heads as large as the client's response may carry.
     */
    @Override
    protected HttpClient newHttpClient(ClientConnector connector) {
        UpstreamClientKey key = CREATING.get();
        HttpClient client = key == null || !key.http2()
                ? new UpstreamHttpClient(new HttpClientTransportDynamic(connector))
                : UpstreamClients.http2Client(connector);
        client.setMaxResponseHeadersSize(UpstreamHttpClient.MAX_RESPONSE_HEAD_BYTES);
        return client;
    }

    /**
     * Retires the upstream clients no route of {@code snapshot} needs any more; control thread, after each publish.
     */
    public void snapshotPublished(Snapshot snapshot) {
        routeClients.retainFor(snapshot);
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
     * The router's retry decision for a failed attempt, once nothing was sent to the client yet. A request with a
     * body can be sent again only when its body was read whole ({@link ReplayableBody}).
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

    /** Sends the request again as {@code attempt}: a retry, or to the same backend on a new connection. */
    private void send(HttpServletRequest request, HttpServletResponse response, ProxyExchange attempt) {
        Decision.Forward next = attempt.forward();
        request.setAttribute(ProxyExchange.ATTRIBUTE, attempt);
        Request proxyRequest = newProxyRequest(request, next.target(request.getQueryString()));
        copyRequestHeaders(request, proxyRequest);
        addProxyHeaders(request, proxyRequest);
        if (attempt.body != null) {
            proxyRequest.body(new BytesRequestContent(attempt.body));
        }
        sendProxyRequest(request, response, proxyRequest);
    }

    /** A body the route may send again ({@link ReplayableBody}) is read whole first; others stream as Jetty streams. */
    @Override
    protected Request.Content proxyRequestContent(HttpServletRequest request, HttpServletResponse response,
            Request proxyRequest) throws IOException {
        ProxyExchange exchange = ProxyExchange.of(request);
        long length = request.getContentLengthLong();
        if (ReplayableBody.kept(exchange, length)) {
            exchange.body = ReplayableBody.read(request, length);
            return new BytesRequestContent(exchange.body);
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
        return super.expects100Continue(request)
                && !ReplayableBody.readFirst(mirror, ProxyExchange.of(request), request.getContentLengthLong());
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

    /**
     * A body of unknown length (chunked) is counted as it streams; past the route's limit the exchange is aborted
     * and answered 413 (a declared Content-Length over the limit is refused before anything is sent).
     */
    @Override
    protected ReadListener newReadListener(HttpServletRequest request, HttpServletResponse response,
            Request proxyRequest, AsyncRequestContent content) {
        ProxyExchange exchange = ProxyExchange.of(request);
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
                super.onRequestContent(clientRequest, upstreamRequest, upstreamContent, buffer, offset, length,
                        callback);
            }
        };
    }

    /** Jetty's content hand-off with {@link ResponseWriter} in place of its writer, so streamed bodies flow. */
    @Override
    protected void onResponseContent(HttpServletRequest request, HttpServletResponse response,
            Response serverResponse, byte[] buffer, int offset, int length, Callback callback) {
        ResponseWriter.write(request, response, serverResponse, buffer, offset, length, callback);
    }

    /** The client's request body broke off: what fails next is the client's doing, not the backend's. */
    @Override
    protected void onClientRequestFailure(HttpServletRequest clientRequest, Request proxyRequest,
            HttpServletResponse proxyResponse, Throwable failure) {
        ProxyExchange.clientGone(clientRequest);
        super.onClientRequestFailure(clientRequest, proxyRequest, proxyResponse, failure);
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
            ProxyExchange exchange = ProxyExchange.of(request);
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
            ProxyExchange failed = ProxyExchange.released(request);
            failed.responded();
            send(request, response, failed.retryTo(retryOn));
        }
    }

    /** Edits the response head once Jetty copied the backend's headers, before anything reaches the client. */
    @Override
    protected void onServerResponseHeaders(HttpServletRequest clientRequest, HttpServletResponse proxyResponse,
            Response serverResponse) {
        super.onServerResponseHeaders(clientRequest, proxyResponse, serverResponse);
        ResponseHead.edit(clientRequest, proxyResponse, serverResponse);
    }

    /** Writes a refusal or the script's own answer; the router decided which. */
    @Override
    protected void onProxyRewriteFailed(HttpServletRequest request, HttpServletResponse response) {
        answers.answer(request, response, ProxyExchange.of(request));
    }

    @Override
    protected void addProxyHeaders(HttpServletRequest clientRequest, Request proxyRequest) {
        ProxyExchange exchange = ProxyExchange.of(clientRequest);
        boolean bodyInHand = exchange != null && (exchange.body != null
                || ReplayableBody.readFirst(mirror, exchange, clientRequest.getContentLengthLong()));
        ProxyRequests.addHeaders(clientRequest, proxyRequest, exchange, bodyInHand);
    }

    @Override
    protected void sendProxyRequest(HttpServletRequest clientRequest, HttpServletResponse proxyResponse,
            Request proxyRequest) {
        ProxyExchange exchange = ProxyExchange.of(clientRequest);
        ProxyRequests.bound(clientRequest, proxyRequest, exchange);
        exchange.sending(router.backendMetrics(exchange.endpoint()), System.nanoTime());
        Decision.Forward forward = exchange.forward();
        // the first send only: a retry or a resend on a new connection is the same client request, copied once
        if (mirror != null && forward.attempt() == 0 && !exchange.onNewConnection && forward.mirror() != null) {
            MirroredRequest.send(mirror, clientRequest, exchange, hasContent(clientRequest));
        }
        if (exchange.onNewConnection) {
            UpstreamClientKey key = routeClients.keyFor(exchange.route());
            StaleConnections.sendOnNewConnection(routeClients.isPlain(key) ? getHttpClient() : routeClients.forKey(key),
                    proxyRequest, newProxyResponseListener(clientRequest, proxyResponse));
            return;
        }
        super.sendProxyRequest(clientRequest, proxyResponse, proxyRequest);
    }

    @Override
    protected void onProxyResponseSuccess(HttpServletRequest clientRequest, HttpServletResponse proxyResponse,
            Response serverResponse) {
        ProxyExchange exchange = ProxyExchange.released(clientRequest);
        if (exchange != null) {
            exchange.responded();
            answers.record(clientRequest, exchange, proxyResponse.getStatus());
        }
        super.onProxyResponseSuccess(clientRequest, proxyResponse, serverResponse);
    }

    @Override
    protected void onProxyResponseFailure(HttpServletRequest clientRequest, HttpServletResponse proxyResponse,
            Response serverResponse, Throwable failure) {
        ProxyExchange exchange = ProxyExchange.released(clientRequest);
        if (exchange != null && answers.notTheBackends(clientRequest, proxyResponse, exchange, failure)) {
            return;
        }
        boolean timeout = UpstreamFailure.isTimeout(failure);
        if (exchange != null && exchange.endpoint() != null && !timeout && StaleConnections.resendable(clientRequest,
                proxyResponse, serverResponse, exchange, failure, !hasContent(clientRequest) || exchange.body != null)) {
            send(clientRequest, proxyResponse, exchange.resentOnNewConnection());
            return;
        }
        if (exchange != null && exchange.endpoint() != null) {
            exchange.failed(timeout);
            router.failed(exchange.endpoint());
            boolean notSent = UpstreamFailure.neverSent(failure);
            boolean noResponse = serverResponse == null || serverResponse.getStatus() <= 0;
            Decision.Forward next = !timeout && (notSent || noResponse)
                    ? planRetry(clientRequest, proxyResponse, exchange, notSent) : null;
            if (next != null) {
                send(clientRequest, proxyResponse, exchange.retryTo(next));
                return;
            }
        }
        if (exchange == null || !answers.backendFailed(clientRequest, proxyResponse, exchange, failure, timeout)) {
            super.onProxyResponseFailure(clientRequest, proxyResponse, serverResponse, failure);
        }
    }

    /**
     * Upstream client settings the servlet needs beyond Jetty's init parameters.
     *
     * @param connectTimeoutMs upstream connect timeout
     */
    public record UpstreamClientSettings(long connectTimeoutMs) {}
}
