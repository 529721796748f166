package io.zkgate.gateway.loop;

import io.zkgate.gateway.balancer.Endpoint;
import io.zkgate.gateway.loop.LoopConnector.LoopEndPoint;
import io.zkgate.gateway.loop.LoopConnector.LoopSelector;
import io.zkgate.gateway.metrics.BackendMetrics;
import io.zkgate.gateway.mirror.Mirror;
import io.zkgate.gateway.proxy.AccessLog;
import io.zkgate.gateway.routing.Decision;
import io.zkgate.gateway.routing.ErrorResponse;
import io.zkgate.gateway.routing.HeaderEdits;
import io.zkgate.gateway.routing.RequestRouter;
import io.zkgate.gateway.routing.RequestTracing;
import io.zkgate.gateway.routing.ResponseView;
import io.zkgate.gateway.routing.RouteEntry;
import io.zkgate.gateway.scripting.ScriptExchange;
import io.zkgate.gateway.tracing.SpanExport;
import io.zkgate.schema.CanonicalPath;
import io.zkgate.schema.Route;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.ssl.SslConnection;
import org.eclipse.jetty.io.ssl.SslHandshakeListener;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * One request and its response on the event loop: asks the router, answers refusals itself, or sends the request to
 * a pooled (or newly connected) upstream on the same loop and streams both bodies with back-pressure: a body piece
 * read from one side is written to the other before the reading side reads again. Request bodies are sent with the
 * client's framing (Content-Length as is, chunked re-chunked); responses keep a backend's Content-Length, and a
 * chunked or close-delimited response is chunked to HTTP/1.1 clients and close-delimited to HTTP/1.0 ones.
 * Confined to its event loop's thread.
 */
final class Exchange implements UpstreamConnect, AccessLog.Entry {
    /** Hop-by-hop headers (RFC 9110, 7.6.1) and headers the gateway sets itself; never copied through. */
    private static final Set<String> REQUEST_NOT_FORWARDED = Set.of("connection", "keep-alive", "proxy-connection",
            "te", "trailer", "transfer-encoding", "upgrade", "host", "x-forwarded-for", "x-forwarded-proto",
            "x-forwarded-host", "content-length", "expect");
    private static final Set<String> RESPONSE_NOT_FORWARDED = Set.of("connection", "keep-alive", "proxy-connection",
            "te", "trailer", "transfer-encoding", "upgrade", "content-length");
    private static final ByteBuffer LAST_CHUNK = BufferUtil.toBuffer("0\r\n\r\n").asReadOnlyBuffer();
    private static final ByteBuffer CRLF = BufferUtil.toBuffer("\r\n").asReadOnlyBuffer();
    /**
     * When a backend answers before it read the whole body, at most this much of the body left is read and dropped so
     * the client's connection can serve its next request (as nginx does); beyond it, or for a chunked body, the
     * connection closes after the answer.
     */
    private static final long MAX_BODY_TO_DRAIN = 64 * 1024;
    /** What a request whose client left before its answer counts as (nginx's "client closed request"). */
    static final int CLIENT_CLOSED_REQUEST = 499;
    private static final ByteBuffer CONTINUE = BufferUtil.toBuffer("HTTP/1.1 100 Continue\r\n\r\n").asReadOnlyBuffer();

    private final ClientConnection client;
    private final LoopEngine engine;
    private final RequestRouter router;
    private final String method;
    private final String target;
    private final HttpVersion version;
    private final HttpFields requestHeaders;
    private final boolean keepAlive;
    private final boolean requestHasBody;
    private final boolean requestChunked;
    private final long startNanos;

    private final LoopSelector loop;
    private String query;
    /** The client's address through the trusted proxies, once routed; null before. */
    private String clientIp;
    /** The decision's header edits (request id, CORS and other policies' headers); NONE before the decision. */
    private HeaderEdits edits = HeaderEdits.NONE;
    private Decision.Forward forward;
    /** The TLS context of the current forward's route, or null for plain text. */
    private SslContextFactory.Client tlsContext;
    private UpstreamConnection upstream;
    private boolean staleRetried;
    /** A WebSocket handshake: its Upgrade is forwarded, and a 101 turns both connections into a tunnel. */
    private boolean upgrade;
    private boolean continueSent;
    private HttpFields.Mutable requestTrailers;
    private HttpFields.Mutable responseTrailers;
    private boolean requestSent;
    private boolean requestBodyStarted;
    private boolean requestDone;
    private long requestBodyBytes;
    private BackendMetrics backendMetrics;
    private long upstreamStartNanos;
    private boolean acquired;

    private int status;
    private String reason;
    private HttpVersion responseVersion;
    private HttpFields.Mutable responseHeaders;
    private ByteBuffer pendingHead;
    private boolean responseToClient;
    private boolean chunkedToClient;
    /** Compresses this response's body for the client (route {@code compression}), or null. */
    private GzipEncoder gzip;
    private boolean closeClient;
    private boolean discarding;
    private Decision.Forward retryAfterDiscard;
    private boolean responseDone;
    /** Answered before the body was read whole: the rest of the body is being read and dropped. */
    private boolean drainingBody;
    private boolean finished;
    /** For the access log: the status and body bytes the client got, the route, and the upstream time. */
    private int statusSent;
    private long bytesSent;
    private String routeId;
    private long upstreamNanos = -1;
    /** The first attempt of a mirrored request whose body is being copied for the mirror, or null. */
    private Decision.Forward mirrored;
    private byte[] mirrorBody;
    private int mirrorBodyBytes;

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
     * forwarded request's route guards release what they hold for it (a concurrency permit).
     */
    private void end() {
        if (!finished) {
            finished = true;
            engine.exchangeEnded();
            if (forward != null) {
                router.ended(forward);
            }
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
            refuseUnrouted("request target '" + target + "' is not a path");
            return;
        }
        int q = originForm.indexOf('?');
        String rawPath = q < 0 ? originForm : originForm.substring(0, q);
        query = q < 0 ? null : originForm.substring(q + 1);
        String path;
        try {
            path = CanonicalPath.of(rawPath);
        } catch (CanonicalPath.BadPathException e) {
            refuseUnrouted("path '" + rawPath + "' refused: it holds " + e.getMessage());
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
        Decision decision = router.route(new LoopRequestView(method, host, path, query, peer, clientIp,
                requestHeaders, client.secure));
        routeId = decision.routeId();
        edits = decision.headers();
        if (decision instanceof Decision.Refuse refuse) {
            refuse(refuse.route() == null ? null : refuse.route().id(), refuse.error(), refuse.message());
            router.record(refuse.route(), method, refuse.error().status(), startNanos);
        } else if (decision instanceof Decision.Answer answer) {
            answerFromScript(answer);
        } else if (decision instanceof Decision.Reply reply) {
            router.record(reply.route(), method, reply.status(), startNanos);
            respond(reply.status(), responseLines(reply.headers()), new byte[0], requestHasBody && !requestDone);
        } else if (decision.route().route().upstreamProtocol() != Route.Upstream.Protocol.HTTP_1_1) {
            refuse(routeId, ErrorResponse.UPSTREAM_UNREACHABLE, "route '" + routeId + "' reaches its backends over "
                    + upstreamOf(decision.route()) + ", which the loop engine does not speak (it speaks HTTP/1.1 "
                    + "to backends); the backend was not contacted. Serve this route with --engine servlet");
            router.record(decision.route(), method, ErrorResponse.UPSTREAM_UNREACHABLE.status(), startNanos);
        } else {
            Decision.Forward forward = (Decision.Forward) decision;
            if (forward.mirror() != null && !upgrade) { // a WebSocket handshake is not mirrored (no tunnel to copy)
                mirror(forward);
            }
            send(forward);
        }
    }

    /**
     * Hands the request's copy to the mirror sender now when it has no body; a body up to the mirror's limit is
     * copied as it streams to the backend and the copy goes once it is whole ({@link #requestComplete}).
     */
    private void mirror(Decision.Forward forward) {
        if (engine.mirror == null) {
            return;
        }
        if (!requestHasBody) {
            engine.mirror.send(forward, method, query, requestHeaders, client.clientAddress(), null);
            return;
        }
        long length = requestHeaders.getLongField(HttpHeader.CONTENT_LENGTH);
        if (requestChunked || length < 0 || length > Mirror.MAX_BODY_BYTES) {
            Mirror.bodyNotCopied(forward);
            return;
        }
        mirrored = forward;
        mirrorBody = new byte[(int) length];
    }

    private static String upstreamOf(RouteEntry route) {
        return "HTTP/2 (upstream.protocol " + route.route().upstreamProtocol().wireName() + ")";
    }

    private void send(Decision.Forward next) {
        forward = next;
        Endpoint endpoint = next.endpoint();
        if (next.route().upstreamTls()) {
            try {
                tlsContext = engine.upstreamTls.context(next.route().route().upstreamTls());
            } catch (IOException e) {
                refuse(next.routeId(), ErrorResponse.UPSTREAM_UNREACHABLE, "route '" + next.routeId()
                        + "': its upstream TLS setting cannot be used: " + e.getMessage());
                router.record(next.route(), method, ErrorResponse.UPSTREAM_UNREACHABLE.status(), startNanos);
                return;
            }
        }
        UpstreamConnection pooled = loop.pool.take(poolKey(next));
        if (pooled != null) {
            attach(pooled);
            return;
        }
        client.connector.connectUpstream(endpoint.host(), port(next), connectTimeoutMs(), this);
    }

    /** The port the route reaches the backend on: its TLS port for TLS routes. */
    private static int port(Decision.Forward f) {
        return f.route().upstreamTls() ? f.endpoint().tlsPort() : f.endpoint().port();
    }

    /** Pooled connections are kept by address, and for TLS routes by TLS setting too: one TLS context per pool. */
    private static String poolKey(Decision.Forward f) {
        Endpoint e = f.endpoint();
        return f.route().upstreamTls() ? e.host() + ":" + e.tlsPort() + " " + f.route().route().upstreamTls()
                : address(e);
    }

    /** The route's {@code timeouts.connectMs}, or the gateway's default. */
    private long connectTimeoutMs() {
        long ms = forward.route().upstream().connectTimeoutMs();
        return ms > 0 ? ms : engine.connectTimeoutMs;
    }

    private static String address(Endpoint endpoint) {
        return endpoint.host() + ":" + endpoint.port();
    }

    @Override
    public Connection newConnection(EndPoint endPoint, LoopSelector loop) {
        SslConnection ssl = tlsContext == null ? null : UpstreamTls.wrap(tlsContext, endPoint,
                forward.endpoint().host(), port(forward), client.connector.getByteBufferPool(), client.executor());
        UpstreamConnection c = new UpstreamConnection(ssl == null ? endPoint : ssl.getSslEndPoint(),
                (LoopEndPoint) endPoint, client.executor(), loop, poolKey(forward));
        if (ssl != null) {
            ssl.getSslEndPoint().setConnection(c);
            ssl.addHandshakeListener(new SslHandshakeListener() {
                @Override
                public void handshakeFailed(Event event, Throwable failure) {
                    c.tlsFailed(failure);
                }
            });
        }
        if (finished) { // the exchange ended while this was connecting (client gone): the connection goes to the pool
            c.release(engine.upstreamIdleMs, engine.maxIdlePerBackend);
        } else {
            attach(c);
        }
        return ssl == null ? c : ssl;
    }

    @Override
    public void failed(Throwable failure) {
        if (finished) {
            return;
        }
        Endpoint endpoint = forward.endpoint();
        router.failed(endpoint);
        BackendMetrics m = router.backendMetrics(endpoint);
        if (m != null) {
            m.failed(false);
        }
        Decision.Forward next = router.retry(forward, method, true, !requestBodyStarted);
        if (next != null) {
            send(next);
            return;
        }
        refuse(forward.routeId(), ErrorResponse.UPSTREAM_UNREACHABLE, "backend " + upstreamAddress()
                + " failed: " + failure);
        router.record(forward.route(), method, 502, startNanos);
    }

    private void attach(UpstreamConnection c) {
        upstream = c;
        c.attach(this, "HEAD".equals(method), forward.route().responseTimeoutMs());
        backendMetrics = router.backendMetrics(forward.endpoint());
        if (backendMetrics != null) {
            backendMetrics.picked();
        }
        forward.endpoint().acquire();
        acquired = true;
        upstreamStartNanos = System.nanoTime();
        if (c.opened()) {
            sendHead();
        }
    }

    /** Writes the request head to the attached upstream connection, once it is open. */
    void sendHead() {
        requestSent = upstream.out.write(requestHead());
        if (requestSent) {
            requestHeadSent();
        }
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
        if (!requestSent) {
            requestSent = true;
            requestHeadSent();
        } else {
            client.resume();
        }
    }

    /**
     * The backend has the head: the body may flow. A client that sent {@code Expect: 100-continue} is told to send
     * it now; the gateway answers the expectation itself (like nginx) and does not forward it.
     */
    private void requestHeadSent() {
        if (requestHasBody && !requestDone) {
            if (version == HttpVersion.HTTP_1_1 && !continueSent
                    && "100-continue".equalsIgnoreCase(requestHeaders.get(HttpHeader.EXPECT))) {
                continueSent = true;
                if (!client.out.write(CONTINUE.slice())) {
                    return; // the client resumes once the 100 has drained
                }
            }
            client.resume(); // parse the body now that there is somewhere to send it
        }
    }

    /** A piece of the request body, a slice of the client's input buffer. @return false to pause the client */
    boolean requestContent(ByteBuffer content) {
        if (mirrorBody != null) {
            // before the check below: a backend may answer before it read the body, and the copy still needs it whole
            int n = Math.min(content.remaining(), mirrorBody.length - mirrorBodyBytes);
            content.duplicate().get(mirrorBody, mirrorBodyBytes, n);
            mirrorBodyBytes += n;
        }
        if (finished || upstream == null) {
            return true; // the exchange was answered already: the rest of the body is dropped
        }
        requestBodyStarted = true;
        requestBodyBytes += content.remaining();
        if (requestChunked) {
            long max = forward == null ? Long.MAX_VALUE : router.maxBodyBytes(forward.route());
            if (requestBodyBytes > max && !responseToClient) {
                release(false);
                refuse(forward.routeId(), ErrorResponse.BODY_TOO_LARGE, "request body is over the route's limit of "
                        + max + " bytes");
                router.record(forward.route(), method, 413, startNanos);
                return true;
            }
            ByteBuffer size = BufferUtil.toBuffer(Integer.toHexString(content.remaining()) + "\r\n");
            return upstream.out.write(size, content, CRLF.slice());
        }
        return upstream.out.write(content);
    }

    /** The whole request was read. */
    void requestComplete() {
        requestDone = true;
        if (mirrorBody != null && mirrorBodyBytes == mirrorBody.length) {
            engine.mirror.send(mirrored, method, query, requestHeaders, client.clientAddress(), mirrorBody);
        }
        mirrorBody = null;
        if (drainingBody) {
            drainingBody = false;
            client.exchangeDone(true);
            return;
        }
        if (upstream != null && requestChunked && !finished) {
            upstream.out.write(lastChunk(requestTrailers));
        }
        if (responseDone) {
            finish();
        }
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

    /** The last chunk, with trailer fields when there are any. */
    private static ByteBuffer lastChunk(HttpFields trailers) {
        if (trailers == null || trailers.size() == 0) {
            return LAST_CHUNK.slice();
        }
        StringBuilder sb = new StringBuilder("0\r\n");
        for (HttpField field : trailers) {
            sb.append(field.getName()).append(": ").append(field.getValue()).append("\r\n");
        }
        return BufferUtil.toBuffer(sb.append("\r\n").toString());
    }

    private ByteBuffer requestHead() {
        Endpoint endpoint = forward.endpoint();
        StringBuilder head = new StringBuilder(256 + requestHeaders.size() * 32);
        head.append(method).append(' ').append(forward.upstreamPath());
        if (query != null) {
            head.append('?').append(query);
        }
        head.append(" HTTP/1.1\r\nHost: ");
        String clientHost = requestHeaders.get(HttpHeader.HOST);
        if (clientHost != null && forward.route().route().preservesHost()) {
            head.append(clientHost);
        } else if (endpoint.host().indexOf(':') >= 0) {
            head.append('[').append(endpoint.host()).append("]:").append(endpoint.port());
        } else {
            head.append(endpoint.host()).append(':').append(endpoint.port());
        }
        head.append("\r\n");
        Set<String> named = connectionTokens(requestHeaders);
        String priorFor = requestHeaders.get(HttpHeader.X_FORWARDED_FOR);
        String remote = client.clientAddress();
        String forwardedFor = priorFor == null ? remote : priorFor + ", " + remote;
        String host = requestHeaders.get(HttpHeader.HOST);
        ScriptExchange script = forward.script();
        HeaderEdits edits = forward.headers();
        if (script != null && script.hasHeaderEdits() || edits.hasUpstream()) {
            HttpFields.Mutable fields = HttpFields.build(requestHeaders.size() + 4);
            for (HttpField field : requestHeaders) {
                if (forwarded(field, named)) {
                    fields.add(field);
                }
            }
            fields.put(HttpHeader.X_FORWARDED_FOR, forwardedFor);
            fields.put(HttpHeader.X_FORWARDED_PROTO, client.secure ? "https" : "http");
            if (host != null) {
                fields.put(HttpHeader.X_FORWARDED_HOST, host);
            }
            edits.applyUpstream(fields);
            if (script != null && script.hasHeaderEdits()) {
                script.applyHeaderEdits(fields); // after the gateway's own, so a script may override them
            }
            for (HttpField field : fields) {
                head.append(field.getName()).append(": ").append(field.getValue()).append("\r\n");
            }
        } else {
            // Without script edits the head is written straight out; the policies' edits (a request id, a verified
            // identity) replace the client's fields of their names, so these are left out here.
            boolean edited = edits.hasUpstream();
            for (HttpField field : requestHeaders) {
                if (forwarded(field, named) && !(edited && edits.editsUpstream(field.getName()))) {
                    head.append(field.getName()).append(": ").append(field.getValue()).append("\r\n");
                }
            }
            if (!edited || !edits.editsUpstream("X-Forwarded-For")) {
                head.append("X-Forwarded-For: ").append(forwardedFor).append("\r\n");
            }
            if (!edited || !edits.editsUpstream("X-Forwarded-Proto")) {
                head.append("X-Forwarded-Proto: ").append(client.secure ? "https" : "http").append("\r\n");
            }
            if (host != null && (!edited || !edits.editsUpstream("X-Forwarded-Host"))) {
                head.append("X-Forwarded-Host: ").append(host).append("\r\n");
            }
            if (edited) {
                edits.appendUpstreamLines(head);
            }
        }
        if (upgrade) {
            head.append("Connection: Upgrade\r\nUpgrade: ").append(requestHeaders.get(HttpHeader.UPGRADE))
                    .append("\r\n");
        }
        if (requestChunked) {
            head.append("Transfer-Encoding: chunked\r\n");
        } else {
            long length = requestHeaders.getLongField(HttpHeader.CONTENT_LENGTH);
            if (length >= 0) {
                head.append("Content-Length: ").append(length).append("\r\n");
            }
        }
        head.append("\r\n");
        return ByteBuffer.wrap(head.toString().getBytes(StandardCharsets.ISO_8859_1));
    }

    private static boolean forwarded(HttpField field, Set<String> named) {
        String name = field.getLowerCaseName();
        return !REQUEST_NOT_FORWARDED.contains(name) && (named == null || !named.contains(name));
    }

    /** Header names the Connection header lists (they are hop-by-hop too), lower case; null when none. */
    private static Set<String> connectionTokens(HttpFields headers) {
        String connection = headers.get(HttpHeader.CONNECTION);
        if (connection == null || connection.equalsIgnoreCase("keep-alive") || connection.equalsIgnoreCase("close")) {
            return null; // the usual values name no other header: no set to build
        }
        java.util.HashSet<String> names = new java.util.HashSet<>();
        for (String token : connection.split(",")) {
            names.add(token.trim().toLowerCase(Locale.ROOT));
        }
        return names;
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
        if (status < 100 || status >= 200 || status == 101) {
            return false;
        }
        if (version == HttpVersion.HTTP_1_1 && status != 100) { // 100 Continue is the gateway's own business
            StringBuilder head = new StringBuilder(128).append("HTTP/1.1 ").append(status).append(' ')
                    .append(reason == null ? "" : reason).append("\r\n");
            for (HttpField field : responseHeaders) {
                head.append(field.getName()).append(": ").append(field.getValue()).append("\r\n");
            }
            client.out.write(BufferUtil.toBuffer(head.append("\r\n").toString()));
        }
        return true;
    }

    /** @return false to pause the upstream until the client drained */
    boolean responseHeadersComplete(long contentLength, boolean chunked) {
        if (status == 101 && upgrade) {
            openTunnel();
            return false; // the upstream's parser stops for good: the rest is tunnel bytes
        }
        if (status >= 100 && status < 200) {
            return true; // interim: relayed when complete
        }
        router.answered(forward.endpoint(), status);
        if ((status == 502 || status == 503) && !requestBodyStarted) {
            Decision.Forward next = router.retry(forward, method, false, true);
            if (next != null) {
                discarding = true;
                retryAfterDiscard = next;
                return true;
            }
        }
        ScriptExchange script = forward.script();
        if (script != null && script.hasOnResponse() && !script.onResponse(new HeadersView(responseHeaders), status)) {
            release(false); // the backend's answer is dropped unsent
            refuse(forward.routeId(), ErrorResponse.SCRIPT_ERROR, script.failure());
            router.record(forward.route(), method, 500, startNanos);
            return true;
        }
        boolean noBody = "HEAD".equals(method) || status == 204 || status == 304;
        StringBuilder head = new StringBuilder(256 + responseHeaders.size() * 32);
        head.append("HTTP/1.1 ").append(status).append(' ').append(reason == null ? "" : reason).append("\r\n");
        Set<String> named = connectionTokens(responseHeaders);
        HeaderEdits edits = forward.headers();
        boolean edited = edits.hasResponse();
        for (HttpField field : responseHeaders) {
            String name = field.getLowerCaseName();
            if (!RESPONSE_NOT_FORWARDED.contains(name) && (named == null || !named.contains(name))
                    && !(edited && edits.setsResponse(name))) {
                head.append(field.getName()).append(": ").append(field.getValue()).append("\r\n");
            }
        }
        if (edited) {
            edits.appendResponseLines(head);
        }
        if (!noBody && forward.route().route().compresses() && GzipEncoder.applies(forward.route().route(),
                requestHeaders.get(HttpHeader.ACCEPT_ENCODING), status, responseHeaders.get(HttpHeader.CONTENT_ENCODING),
                responseHeaders.get(HttpHeader.CONTENT_TYPE), chunked ? -1 : contentLength)) {
            gzip = new GzipEncoder();
            head.append("Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n");
        }
        if (noBody) {
            String length = responseHeaders.get(HttpHeader.CONTENT_LENGTH);
            if (length != null && !(status == 204)) {
                head.append("Content-Length: ").append(length).append("\r\n");
            }
        } else if (gzip == null && !chunked && contentLength >= 0) {
            head.append("Content-Length: ").append(contentLength).append("\r\n");
        } else if (version == HttpVersion.HTTP_1_1) {
            chunkedToClient = true;
            head.append("Transfer-Encoding: chunked\r\n");
        } else {
            closeClient = true;
        }
        if (!keepAlive || closeClient || engine.isShutdown()) {
            closeClient = true;
            head.append("Connection: close\r\n");
        } else if (version == HttpVersion.HTTP_1_0) {
            head.append("Connection: keep-alive\r\n");
        }
        head.append("\r\n");
        pendingHead = ByteBuffer.wrap(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        responseToClient = true;
        statusSent = status;
        return true;
    }

    /** A piece of the response body, a slice of the upstream's input buffer. @return false to pause the upstream */
    boolean responseContent(ByteBuffer content) {
        if (discarding) {
            return true;
        }
        bytesSent += content.remaining();
        ByteBuffer head = takeHead();
        if (gzip != null) {
            content = gzip.encode(content);
            if (!content.hasRemaining()) {
                return head == null || client.out.write(head);
            }
        }
        if (chunkedToClient) {
            ByteBuffer size = BufferUtil.toBuffer(Integer.toHexString(content.remaining()) + "\r\n");
            return head == null ? client.out.write(size, content, CRLF.slice())
                    : client.out.write(head, size, content, CRLF.slice());
        }
        return head == null ? client.out.write(content) : client.out.write(head, content);
    }

    /**
     * The backend accepted the WebSocket handshake: its 101 goes to the client, and both connections become a byte
     * tunnel on this loop. Bytes either side sent after its head are forwarded first.
     */
    private void openTunnel() {
        router.answered(forward.endpoint(), status);
        router.record(forward.route(), method, status, startNanos);
        upstreamNanos = System.nanoTime() - upstreamStartNanos;
        statusSent = status;
        StringBuilder head = new StringBuilder(256).append("HTTP/1.1 101 ").append(reason == null ? "" : reason)
                .append("\r\n");
        for (HttpField field : responseHeaders) {
            String name = field.getLowerCaseName();
            if (!name.equals("content-length") && !name.equals("transfer-encoding") && !name.equals("keep-alive")
                    && !edits.setsResponse(name)) {
                head.append(field.getName()).append(": ").append(field.getValue()).append("\r\n");
            }
        }
        edits.appendResponseLines(head);
        head.append("\r\n");
        UpstreamConnection u = upstream;
        upstream = null;
        acquired = false; // the tunnel holds the backend as in flight until it closes
        end();
        logAccess();
        ByteTunnel tunnel = client.startTunnel(u, u.input(), forward.endpoint());
        u.becomeTunnel(tunnel);
        if (client.out.write(ByteBuffer.wrap(head.toString().getBytes(StandardCharsets.ISO_8859_1)))) {
            tunnel.upstreamToClient.pump();
        } else {
            tunnel.upstreamToClient.hold();
        }
        tunnel.clientToUpstream.pump();
    }

    /** Writes the response head if it is still waiting for body bytes to go out with. */
    void flushHead() {
        ByteBuffer head = pendingHead;
        if (head != null && !discarding) {
            pendingHead = null;
            if (!client.out.write(head)) {
                upstreamPaused();
            }
        }
    }

    private void upstreamPaused() {
        UpstreamConnection u = upstream;
        if (u != null) {
            u.pause();
        }
    }

    private ByteBuffer takeHead() {
        ByteBuffer head = pendingHead;
        pendingHead = null;
        return head;
    }

    /** The backend's response is complete. */
    void responseComplete() {
        if (discarding) {
            Decision.Forward next = retryAfterDiscard;
            discarding = false;
            retryAfterDiscard = null;
            release(true);
            if (backendMetrics != null) {
                backendMetrics.responded(System.nanoTime() - upstreamStartNanos);
            }
            send(next);
            return;
        }
        ByteBuffer head = takeHead();
        ByteBuffer tail = gzip == null ? null : gzip.finish();
        gzip = null;
        if (tail != null) {
            ByteBuffer[] out = chunkedToClient
                    ? new ByteBuffer[] {head, BufferUtil.toBuffer(Integer.toHexString(tail.remaining()) + "\r\n"),
                        tail, CRLF.slice(), lastChunk(responseTrailers)}
                    : new ByteBuffer[] {head, tail};
            client.out.write(head == null ? Arrays.copyOfRange(out, 1, out.length) : out);
        } else if (chunkedToClient) {
            if (head == null) {
                client.out.write(lastChunk(responseTrailers));
            } else {
                client.out.write(head, lastChunk(responseTrailers));
            }
        } else if (head != null) {
            client.out.write(head);
        }
        responseDone = true;
        upstreamNanos = System.nanoTime() - upstreamStartNanos;
        if (backendMetrics != null) {
            backendMetrics.responded(upstreamNanos);
        }
        router.record(forward.route(), method, status, startNanos);
        boolean reusable = requestDone && responseVersion == HttpVersion.HTTP_1_1
                && !responseHeaders.contains(HttpHeader.CONNECTION, "close");
        release(reusable);
        if (requestDone) {
            finish();
        } else if (!requestChunked && !closeClient
                && requestHeaders.getLongField(HttpHeader.CONTENT_LENGTH) - requestBodyBytes <= MAX_BODY_TO_DRAIN) {
            // The backend answered before it read the whole body (a handler that never reads it): the exchange is
            // over, and the connection serves the next request once the rest of the body has been read and dropped.
            end();
            logAccess();
            drainingBody = true;
            client.resume();
        } else {
            closeClient = true; // the rest of the body is too large to read for nothing, or cannot be framed away
            finish();
        }
    }

    /** Takes the upstream connection off this exchange and gives the backend's in-flight place back; null if none. */
    private UpstreamConnection detachUpstream() {
        UpstreamConnection u = upstream;
        upstream = null;
        if (acquired) {
            acquired = false;
            forward.endpoint().release();
        }
        return u;
    }

    /** Gives the upstream connection back to the pool, or closes it. */
    private void release(boolean reusable) {
        UpstreamConnection u = detachUpstream();
        if (u == null) {
            return;
        }
        if (reusable && !u.out.pending()) { // a write still draining (the answer beat its callback) would collide
            u.release(engine.upstreamIdleMs, engine.maxIdlePerBackend);
        } else {
            u.discard();
        }
    }

    private void finish() {
        if (finished) {
            return;
        }
        end();
        logAccess();
        client.exchangeDone(!closeClient);
    }

    private void logAccess() {
        SpanExport spans = router.spans();
        if (spans != null) {
            spans.end(this, method, statusSent);
        }
        AccessLog log = engine.accessLog;
        if (log != null) {
            log.log(clientIp != null ? clientIp : client.clientAddress(),
                    System.currentTimeMillis() - (System.nanoTime() - startNanos) / 1_000_000, method, target, version.asString(), statusSent, bytesSent,
                    requestHeaders.get(HttpHeader.REFERER), requestHeaders.get(HttpHeader.USER_AGENT), this);
        }
    }

    @Override
    public String routeId() {
        return routeId;
    }

    @Override
    public String upstreamAddress() {
        return forward == null ? null : forward.endpoint().host() + ":" + port(forward);
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
        if (finished || upstream == null) {
            return;
        }
        UpstreamConnection u = detachUpstream();
        boolean nothingBack = !u.responseStarted();
        boolean neverSent = !requestSent; // the head's write itself failed: the backend cannot have taken the request
        boolean resendable = RequestRouter.idempotent(method) || neverSent;
        if (nothingBack && u.reused() && !requestBodyStarted && !staleRetried && resendable) {
            // A pooled connection that turned out closed, most often the backend ending an idle one as it was taken:
            // a fresh connection to the same backend, which is neither a retry (no attempt, no budget) nor a failure
            // toward ejection. Had it gone to another backend, it would spend the request's one retry on a healthy
            // backend's idle close, and a dead backend picked for it would then fail the request. A backend going
            // down refuses the fresh connection, which counts toward its ejection and is retried as any connect
            // failure.
            staleRetried = true;
            requestSent = false;
            client.connector.connectUpstream(forward.endpoint().host(), port(forward), connectTimeoutMs(), this);
            return;
        }
        router.failed(forward.endpoint());
        if (backendMetrics != null) {
            backendMetrics.failed(false);
        }
        if (!responseToClient || pendingHead != null) {
            pendingHead = null;
            Decision.Forward next = nothingBack ? router.retry(forward, method, neverSent, !requestBodyStarted) : null;
            if (next != null) {
                responseToClient = false;
                send(next);
                return;
            }
            refuse(forward.routeId(), ErrorResponse.UPSTREAM_UNREACHABLE, "backend " + upstreamAddress()
                    + " failed: " + failure.getMessage());
            router.record(forward.route(), method, 502, startNanos);
            return;
        }
        router.record(forward.route(), method, statusSent, startNanos); // as the servlet engine: the status sent
        end();
        client.close(); // part of the response went out: the client must see it cut
    }

    /** The backend stayed silent past the route's response timeout. */
    void upstreamTimedOut() {
        if (finished) {
            return;
        }
        UpstreamConnection u = detachUpstream();
        router.failed(forward.endpoint());
        if (backendMetrics != null) {
            backendMetrics.failed(true);
        }
        if (u != null) {
            u.close();
        }
        if (!responseToClient || pendingHead != null) {
            refuse(forward.routeId(), ErrorResponse.UPSTREAM_TIMEOUT, "backend " + upstreamAddress()
                    + " did not respond within " + forward.route().responseTimeoutMs() + " ms");
            router.record(forward.route(), method, 504, startNanos);
            return;
        }
        router.record(forward.route(), method, statusSent, startNanos);
        end();
        client.close();
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
        UpstreamConnection u = detachUpstream();
        if (u != null) {
            u.close();
        }
    }

    /** The backend's response headers as on_response edits them. */
    private record HeadersView(HttpFields.Mutable headers) implements ResponseView {
        @Override
        public String header(String name) {
            return headers.get(name);
        }

        @Override
        public void setHeader(String name, String value) {
            headers.put(name, value);
        }

        @Override
        public void removeHeader(String name) {
            headers.remove(name);
        }
    }

    // ---- answers the gateway gives itself -------------------------------------------------------------------------

    /**
     * Answers with the contract's JSON error, the request's id in its body and the decision's response headers (a
     * request id, CORS) on it: for refusals, and for the errors this front door finds later (502, 504, 413).
     */
    private void refuse(String routeId, ErrorResponse error, String message) {
        boolean closeAfter = error == ErrorResponse.BODY_TOO_LARGE || requestHasBody && !requestDone;
        respond(error.status(), "Content-Type: application/json\r\n" + responseLines(edits),
                error.body(routeId, message, edits).getBytes(StandardCharsets.UTF_8), closeAfter);
    }

    /** A {@code bad_path} answer, made before routing: it carries a request id all the same. */
    private void refuseUnrouted(String message) {
        edits = router.unroutedIds(requestHeaders.get(RequestTracing.REQUEST_ID),
                requestHeaders.get(RequestTracing.TRACEPARENT));
        refuse(null, ErrorResponse.BAD_PATH, message);
    }

    private static String responseLines(HeaderEdits edits) {
        if (!edits.hasResponse()) {
            return "";
        }
        StringBuilder lines = new StringBuilder(64);
        edits.appendResponseLines(lines);
        return lines.toString();
    }

    private void answerFromScript(Decision.Answer answer) {
        router.record(answer.route(), method, answer.script().respondedStatus(), startNanos);
        StringBuilder headers = new StringBuilder();
        answer.headers().appendResponseLines(headers);
        byte[] body = answer.script().respondedBody(headers);
        respond(answer.script().respondedStatus(), headers.toString(), body, requestHasBody && !requestDone);
    }

    /** Writes a whole response the gateway made itself; the exchange is then over. */
    private void respond(int code, String headers, byte[] body, boolean close) {
        end();
        statusSent = code;
        bytesSent = body.length;
        logAccess();
        boolean keep = !close && keepAlive; // the Connection header sent and what the connection does agree
        writeLocal(client, code, headers, body, keep, version);
        client.exchangeDone(keep);
    }

    /** A JSON error the parser found, with the request's ids ({@code ids}), on a connection that then closes. */
    static void writeLocal(ClientConnection client, int code, String json, HeaderEdits ids) {
        writeLocal(client, code, "Content-Type: application/json\r\n" + responseLines(ids),
                json.getBytes(StandardCharsets.UTF_8), false, HttpVersion.HTTP_1_1);
    }

    private static void writeLocal(ClientConnection client, int code, String headers, byte[] body, boolean keepAlive,
            HttpVersion version) {
        StringBuilder head = new StringBuilder(128).append("HTTP/1.1 ").append(code).append(' ')
                .append(org.eclipse.jetty.http.HttpStatus.getMessage(code)).append("\r\n");
        if (headers != null) {
            head.append(headers);
        }
        head.append("Content-Length: ").append(body.length).append("\r\n");
        if (!keepAlive) {
            head.append("Connection: close\r\n");
        } else if (version == HttpVersion.HTTP_1_0) {
            head.append("Connection: keep-alive\r\n");
        }
        head.append("\r\n");
        client.out.write(ByteBuffer.wrap(head.toString().getBytes(StandardCharsets.ISO_8859_1)), ByteBuffer.wrap(body));
    }
}
