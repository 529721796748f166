package io.zkgate.gateway.loop;

import io.zkgate.gateway.loop.LoopConnector.LoopSelector;
import io.zkgate.gateway.metrics.BackendMetrics;
import io.zkgate.gateway.proxy.AccessLog;
import io.zkgate.gateway.routing.Decision;
import io.zkgate.gateway.routing.ErrorResponse;
import io.zkgate.gateway.routing.HeaderEdits;
import io.zkgate.gateway.routing.RequestRouter;
import io.zkgate.gateway.routing.RouteEntry;
import io.zkgate.gateway.tracing.SpanExport;
import io.zkgate.schema.CanonicalPath;
import io.zkgate.schema.Route;
import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * One request and its response on the event loop: asks the router, answers refusals itself, or sends the request to
 * a pooled (or newly connected) upstream on the same loop and streams both bodies with back-pressure: a body piece
 * read from one side is written to the other before the reading side reads again. Request bodies are sent with the
 * client's framing (Content-Length as is, chunked re-chunked); responses keep a backend's Content-Length, and a
 * chunked or close-delimited response is chunked to HTTP/1.1 clients and close-delimited to HTTP/1.0 ones.
 *
 * <p>The exchange is the one owner of this state machine: its connections tell it what happened through the methods
 * below, and its fields are the state. The concerns it hands work to are stateless helpers on those fields, kept apart
 * so each reads on its own: {@link UpstreamAttempts} (which backend connection, resends, retries, 502 and 504),
 * {@link RequestRelay} and {@link UpstreamRequestHead} (the request to the backend), {@link ResponseRelay} (the
 * response to the client) and {@link LocalAnswers} (what the gateway answers itself). They are static methods, so an
 * exchange allocates nothing more for them. Confined to its event loop's thread, as are its helpers' calls.
 */
final class Exchange implements UpstreamConnect, AccessLog.Entry {
    /** What a request whose client left before its answer counts as (nginx's "client closed request"). */
    static final int CLIENT_CLOSED_REQUEST = 499;

    final ClientConnection client;
    final LoopEngine engine;
    final RequestRouter router;
    final String method;
    final String target;
    final HttpVersion version;
    final HttpFields requestHeaders;
    final boolean keepAlive;
    final boolean requestHasBody;
    final boolean requestChunked;
    final long startNanos;

    final LoopSelector loop;
    String query;
    /** The client's address through the trusted proxies, once routed; null before. */
    String clientIp;
    /** The decision's header edits (request id, CORS and other policies' headers); NONE before the decision. */
    HeaderEdits edits = HeaderEdits.NONE;
    Decision.Forward forward;
    /** The TLS context of the current forward's route, or null for plain text. */
    SslContextFactory.Client tlsContext;
    UpstreamConnection upstream;
    /** This backend attempt met a pooled connection the backend had closed and went out on a fresh one. */
    boolean staleRetried;
    /** A WebSocket handshake: its Upgrade is forwarded, and a 101 turns both connections into a tunnel. */
    boolean upgrade;
    boolean continueSent;
    HttpFields.Mutable requestTrailers;
    HttpFields.Mutable responseTrailers;
    boolean requestSent;
    boolean requestBodyStarted;
    boolean requestDone;
    /**
     * A chunked body went over the route's limit after the backend had answered: the backend got it only up to the
     * limit and never its end, so its connection is not reused.
     */
    boolean requestBodyCut;
    long requestBodyBytes;
    BackendMetrics backendMetrics;
    long upstreamStartNanos;
    boolean acquired;

    int status;
    String reason;
    HttpVersion responseVersion;
    HttpFields.Mutable responseHeaders;
    ByteBuffer pendingHead;
    boolean responseToClient;
    boolean chunkedToClient;
    /** Compresses this response's body for the client (route {@code compression}), or null. */
    GzipEncoder gzip;
    boolean closeClient;
    boolean discarding;
    Decision.Forward retryAfterDiscard;
    boolean responseDone;
    /** Answered before the body was read whole: the rest of the body is being read and dropped. */
    boolean drainingBody;
    boolean finished;
    /** For the access log: the status and body bytes the client got, the route, and the upstream time. */
    int statusSent;
    long bytesSent;
    String routeId;
    long upstreamNanos = -1;
    /** The first attempt of a mirrored request whose body is being copied for the mirror, or null. */
    Decision.Forward mirrored;
    byte[] mirrorBody;
    int mirrorBodyBytes;

    Exchange(ClientConnection client, String method, String target, HttpVersion version, HttpFields requestHeaders,
            boolean keepAlive, boolean requestHasBody, boolean requestChunked, long startNanos) {
        this.client = client;
        this.engine = client.engine;
        this.router = engine.router;
        this.method = method;
        this.target = target;
        this.version = version;
        this.requestHeaders = requestHeaders;
        this.keepAlive = keepAlive;
        this.requestHasBody = requestHasBody;
        this.requestChunked = requestChunked;
        this.startNanos = startNanos;
        this.loop = client.loop;
        engine.exchangeStarted();
    }

    /**
     * The exchange is over for the gateway (answered, failed, abandoned or tunnelled): counted out once, and a
     * forwarded request's route guards release what they hold for it (a concurrency permit); a compressed
     * response's deflater is freed.
     */
    void end() {
        dropGzip();
        if (!finished) {
            finished = true;
            engine.exchangeEnded();
            if (forward != null) {
                router.ended(forward);
            }
        }
    }

    /** Frees the response's gzip encoder, if any, before its response is done: the exchange ended, or a retry. */
    void dropGzip() {
        if (gzip != null) {
            gzip.end();
            gzip = null;
        }
    }

    @Override
    public LoopSelector loop() {
        return loop;
    }

    // ---- the request ----------------------------------------------------------------------------------------------

    /** Routes the request: answers it here, or starts sending it upstream. */
    void begin() {
        String originForm = target;
        String authority = null;
        if (!target.isEmpty() && target.charAt(0) != '/' && (target.regionMatches(true, 0, "http://", 0, 7)
                || target.regionMatches(true, 0, "https://", 0, 8))) {
            HttpURI uri = HttpURI.from(target); // absolute-form (RFC 9112, 3.2.2): its authority is the host
            authority = uri.getHost();
            originForm = uri.getPath() == null || uri.getPath().isEmpty() ? "/" : uri.getPath();
            if (uri.getQuery() != null) {
                originForm = originForm + "?" + uri.getQuery();
            }
        }
        if (originForm.isEmpty() || originForm.charAt(0) != '/') {
            LocalAnswers.refuseUnrouted(this, "request target '" + target + "' is not a path");
            return;
        }
        int q = originForm.indexOf('?');
        String rawPath = q < 0 ? originForm : originForm.substring(0, q);
        query = q < 0 ? null : originForm.substring(q + 1);
        String path;
        try {
            path = CanonicalPath.of(rawPath);
        } catch (CanonicalPath.BadPathException e) {
            LocalAnswers.refuseUnrouted(this, "path '" + rawPath + "' refused: it holds " + e.getMessage());
            return;
        }
        String host = authority != null ? authority : requestHeaders.get(HttpHeader.HOST);
        if (host != null && authority == null) {
            int colon = host.lastIndexOf(':');
            if (colon > 0 && host.indexOf(']') < colon) {
                host = host.substring(0, colon);
            }
        }
        upgrade = "GET".equals(method) && RequestRouter.asksForWebSocket(requestHeaders.get(HttpHeader.UPGRADE));
        String peer = client.clientAddress();
        clientIp = router.clientIp(peer, () -> requestHeaders.getValuesList(HttpHeader.X_FORWARDED_FOR));
        LoopRequestView view = new LoopRequestView(method, host, path, query, peer, clientIp, requestHeaders,
                client.secure);
        if (engine.handoff.takes(view)) { // an HTTP/2-upstream route: the servlet front door makes the one decision
            end();
            client.handOff(method, target, version, requestHeaders);
            return;
        }
        Decision decision = router.route(view);
        routeId = decision.routeId();
        edits = decision.headers();
        if (decision instanceof Decision.Refuse refuse) {
            refuse(refuse.route() == null ? null : refuse.route().id(), refuse.error(), refuse.message());
            router.record(refuse.route(), method, refuse.error().status(), startNanos);
        } else if (decision instanceof Decision.Answer answer) {
            LocalAnswers.answerFromScript(this, answer);
        } else if (decision instanceof Decision.Reply reply) {
            LocalAnswers.reply(this, reply);
        } else if (decision.route().route().upstreamProtocol() != Route.Upstream.Protocol.HTTP_1_1) {
            refuse(routeId, ErrorResponse.UPSTREAM_UNREACHABLE, "route '" + routeId + "' reaches its backends over "
                    + upstreamOf(decision.route()) + " and became so as this request was routed (the event loop "
                    + "hands such routes' requests to the servlet front door before routing them); the backend was "
                    + "not contacted; send the request again");
            router.record(decision.route(), method, ErrorResponse.UPSTREAM_UNREACHABLE.status(), startNanos);
        } else {
            Decision.Forward forward = (Decision.Forward) decision;
            if (forward.mirror() != null && !upgrade) { // a WebSocket handshake is not mirrored (no tunnel to copy)
                RequestRelay.mirror(this, forward);
            }
            UpstreamAttempts.send(this, forward);
        }
    }

    /** Answers with the contract's JSON error ({@link LocalAnswers#refuse}). */
    private void refuse(String routeId, ErrorResponse error, String message) {
        LocalAnswers.refuse(this, routeId, error, message);
    }

    private static String upstreamOf(RouteEntry route) {
        return "HTTP/2 (upstream.protocol " + route.route().upstreamProtocol().wireName() + ")";
    }

    @Override
    public Connection newConnection(EndPoint endPoint, LoopSelector loop) {
        return UpstreamAttempts.connected(this, endPoint, loop);
    }

    @Override
    public void failed(Throwable failure) {
        UpstreamAttempts.connectFailed(this, failure);
    }

    /** Writes the request head to the attached upstream connection, once it is open. */
    void sendHead() {
        RequestRelay.sendHead(this);
    }

    /** The client took a response piece: the backend's connection may read on. */
    void clientWriteDrained() {
        UpstreamConnection u = upstream;
        if (u != null) {
            u.resume();
        } else if (finished) {
            client.resume();
        }
    }

    /** The backend took the request head (or a body piece): the client may send more. */
    void upstreamWriteDrained() {
        RequestRelay.upstreamWriteDrained(this);
    }

    /** A piece of the request body, a slice of the client's input buffer. @return false to pause the client */
    boolean requestContent(ByteBuffer content) {
        return RequestRelay.content(this, content);
    }

    /** The whole request was read. */
    void requestComplete() {
        RequestRelay.complete(this);
    }

    void requestTrailer(HttpField field) {
        if (requestTrailers == null) {
            requestTrailers = HttpFields.build();
        }
        requestTrailers.add(field);
    }

    void responseTrailer(HttpField field) {
        if (responseTrailers == null) {
            responseTrailers = HttpFields.build();
        }
        responseTrailers.add(field);
    }

    // ---- the response ---------------------------------------------------------------------------------------------

    void responseBegin(HttpVersion v, int code, String why) {
        responseVersion = v;
        status = code;
        reason = why;
        responseHeaders = HttpFields.build(16);
    }

    void responseHeader(HttpField field) {
        responseHeaders.add(field);
    }

    /** Whether the response just parsed is an interim one (1xx but 101), relayed to the client before the final one. */
    boolean interimResponse() {
        return ResponseRelay.interim(this);
    }

    /** @return false to pause the upstream until the client drained */
    boolean responseHeadersComplete(long contentLength, boolean chunked) {
        return ResponseRelay.headersComplete(this, contentLength, chunked);
    }

    /** A piece of the response body, a slice of the upstream's input buffer. @return false to pause the upstream */
    boolean responseContent(ByteBuffer content) {
        return ResponseRelay.content(this, content);
    }

    /** Writes the response head if it is still waiting for body bytes to go out with. */
    void flushHead() {
        ResponseRelay.flushHead(this);
    }

    /** The backend's response is complete. */
    void responseComplete() {
        ResponseRelay.complete(this);
    }

    void finish() {
        if (finished) {
            return;
        }
        end();
        logAccess();
        client.exchangeDone(!closeClient);
    }

    void logAccess() {
        SpanExport spans = router.spans();
        if (spans != null) {
            spans.end(this, method, statusSent);
        }
        AccessLog log = engine.accessLog;
        if (log != null) {
            log.log(clientIp != null ? clientIp : client.clientAddress(),
                    System.currentTimeMillis() - (System.nanoTime() - startNanos) / 1_000_000, method, target,
                    version.asString(), statusSent, bytesSent, requestHeaders.get(HttpHeader.REFERER),
                    requestHeaders.get(HttpHeader.USER_AGENT), this);
        }
    }

    @Override
    public String routeId() {
        return routeId;
    }

    @Override
    public String upstreamAddress() {
        return forward == null ? null : forward.upstreamAuthority();
    }

    @Override
    public long upstreamNanos() {
        return upstreamNanos;
    }

    @Override
    public HeaderEdits ids() {
        return edits;
    }

    /** The upstream connection failed or closed before the exchange ended. */
    void upstreamFailed(Throwable failure) {
        UpstreamAttempts.failed(this, failure);
    }

    /** The backend stayed silent past the route's response timeout. */
    void upstreamTimedOut() {
        UpstreamAttempts.timedOut(this);
    }

    /**
     * The client went away: the upstream exchange is abandoned and its connection closed. An exchange not yet
     * counted is counted here, once: with the status sent when the response had started, else as
     * {@value #CLIENT_CLOSED_REQUEST}. Every path that counts an exchange also ends it, so {@code finished} tells.
     */
    void clientGone(Throwable cause) {
        if (!finished && forward != null) {
            router.record(forward.route(), method, responseToClient ? statusSent : CLIENT_CLOSED_REQUEST, startNanos);
        }
        end();
        UpstreamConnection u = UpstreamAttempts.detach(this);
        if (u != null) {
            u.close();
        }
    }

}
