package io.zkgate.gateway.proxy;

import io.zkgate.gateway.balancer.Endpoint;
import io.zkgate.gateway.routing.Decision;
import io.zkgate.gateway.routing.ErrorResponse;
import io.zkgate.gateway.routing.HeaderEdits;
import io.zkgate.gateway.routing.RequestRouter;
import io.zkgate.gateway.routing.RouteEntry;
import io.zkgate.gateway.scripting.ScriptExchange;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpStream;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ConnectHandler;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * WebSocket: the handshake is matched and balanced like any request, passed through the route's Lua
 * {@code on_request} (which may refuse it, edit its headers or path, or choose its hash key), sent to the backend,
 * and when the backend answers 101 the client gets that 101 and both connections become a byte tunnel (Jetty's
 * {@link ConnectHandler} machinery, which {@code CONNECT} would use; {@code CONNECT} itself stays off).
 * {@code on_response} does not run: there is no response to filter once the connection is upgraded. Everything
 * else passes through to the servlet proxy.
 * Thread-safe: per-handshake state lives in the connection context.
 */
public final class WebSocketTunnel extends ConnectHandler {
    private static final Logger log = LoggerFactory.getLogger(WebSocketTunnel.class);
    private static final String EXCHANGE = WebSocketTunnel.class.getName() + ".exchange";
    /** Hop-by-hop headers of the client's handshake that are not passed on as they are. */
    private static final Set<String> NOT_FORWARDED = Set.of("host", "x-forwarded-for", "x-forwarded-proto",
            "x-forwarded-host", "proxy-connection", "keep-alive", "te", "trailer", "transfer-encoding");
    private static final int MAX_HEAD_BYTES = 16 * 1024;

    private final RequestRouter router;
    private final Set<String> connectorNames;
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicLong opened = new AtomicLong();

    /**
     * @param connectorNames   the connectors whose handshakes are tunnelled (the proxy's; the admin port has none)
     * @param idleTimeoutMs    how long a tunnel may stay silent in both directions before it is closed
     * @param connectTimeoutMs how long connecting to a backend may take (the gateway's upstream default)
     */
    public WebSocketTunnel(Handler next, RequestRouter router, List<String> connectorNames, long idleTimeoutMs,
            long connectTimeoutMs) {
        super(next);
        this.router = router;
        this.connectorNames = Set.copyOf(connectorNames);
        setIdleTimeout(idleTimeoutMs);
        setConnectTimeout(connectTimeoutMs);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        if (!isWebSocketHandshake(request)
                || !connectorNames.contains(request.getConnectionMetaData().getConnector().getName())) {
            return getHandler().handle(request, response, callback); // never CONNECT: not an open proxy
        }
        long start = System.nanoTime();
        String peer = Request.getRemoteAddr(request);
        String clientIp = router.clientIp(peer, () -> request.getHeaders().getValuesList(HttpHeader.X_FORWARDED_FOR));
        Decision decision = router.route(new CoreRequestView(request, clientIp));
        if (decision instanceof Decision.Forward forward) {
            if (router.tracksEnd(forward)) {
                RequestEnd.onEnd(request, () -> router.ended(forward)); // the handshake's end, 101 or not
            }
            connect(request, response, callback,
                    new Handshake(forward, handshake(request, forward), start, clientIp));
            return true;
        }
        request.setAttribute(AccessLog.ENTRY,
                new AccessLog.Unforwarded(decision.routeId(), clientIp, decision.headers()));
        decision.headers().applyResponse(response.getHeaders());
        if (decision instanceof Decision.Answer answer) {
            router.record(answer.route(), "GET", answer.script().respondedStatus(), start);
            answer.script().writeResponse(response, callback);
        } else if (decision instanceof Decision.Refuse refuse) {
            writeError(response, callback, refuse.error(), refuse.route(), refuse.message(), refuse.headers(), start);
        } else if (decision instanceof Decision.Reply reply) {
            router.record(reply.route(), "GET", reply.status(), start);
            response.setStatus(reply.status());
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, 0);
            callback.succeeded();
        }
        return true;
    }

    private void connect(Request request, Response response, Callback callback, Handshake exchange) {
        request.setAttribute(EXCHANGE, exchange);
        request.setAttribute(AccessLog.ENTRY, exchange);
        exchange.upstreamStartNanos = System.nanoTime();
        Endpoint endpoint = exchange.forward.endpoint();
        handleConnect(request, response, callback, endpoint.host() + ":" + endpoint.port());
    }

    /** Tunnels open now. */
    public int openTunnels() {
        return open.get();
    }

    /** Tunnels opened since start. */
    public long tunnelsOpened() {
        return opened.get();
    }

    /** A WebSocket opening handshake (RFC 6455, 4.1): a GET asking to upgrade to websocket. */
    static boolean isWebSocketHandshake(Request request) {
        if (!"GET".equals(request.getMethod())) {
            return false;
        }
        return RequestRouter.asksForWebSocket(request.getHeaders().get(HttpHeader.UPGRADE));
    }

    /**
     * The client's handshake as the backend gets it: path rewritten like any request (or as the route's script set
     * it), the script's header edits applied, forwarding headers added.
     */
    private static ByteBuffer handshake(Request request, Decision.Forward forward) {
        Endpoint endpoint = forward.endpoint();
        ScriptExchange script = forward.script();
        String query = request.getHttpURI().getQuery();
        StringBuilder head = new StringBuilder(512);
        head.append("GET ").append(forward.upstreamPath());
        if (query != null) {
            head.append('?').append(query);
        }
        head.append(" HTTP/1.1\r\n");
        String clientHost = request.getHeaders().get(HttpHeader.HOST);
        if (clientHost != null && forward.route().route().preservesHost()) {
            head.append("Host: ").append(clientHost).append("\r\n");
        } else {
            head.append("Host: ").append(endpoint.host().indexOf(':') >= 0 ? "[" + endpoint.host() + "]"
                    : endpoint.host()).append(':').append(endpoint.port()).append("\r\n");
        }
        HttpFields.Mutable headers = HttpFields.build(request.getHeaders());
        forward.headers().applyUpstream(headers);
        if (script != null && script.hasHeaderEdits()) {
            script.applyHeaderEdits(headers);
        }
        for (HttpField field : headers) {
            if (!NOT_FORWARDED.contains(field.getLowerCaseName())) {
                head.append(field.getName()).append(": ").append(field.getValue()).append("\r\n");
            }
        }
        String remote = Request.getRemoteAddr(request);
        String priorFor = request.getHeaders().get(HttpHeader.X_FORWARDED_FOR);
        head.append("X-Forwarded-For: ").append(priorFor == null ? remote : priorFor + ", " + remote).append("\r\n");
        head.append("X-Forwarded-Proto: ").append(request.getHttpURI().getScheme() == null ? "http"
                : request.getHttpURI().getScheme()).append("\r\n");
        String host = request.getHeaders().get(HttpHeader.HOST);
        if (host != null) {
            head.append("X-Forwarded-Host: ").append(host).append("\r\n");
        }
        head.append("\r\n");
        return ByteBuffer.wrap(head.toString().getBytes(StandardCharsets.ISO_8859_1));
    }

    @Override
    protected void prepareContext(Request request, ConcurrentMap<String, Object> context) {
        context.put(EXCHANGE, request.getAttribute(EXCHANGE));
    }

    @Override
    protected void onConnectSuccess(ConnectContext connectContext, UpstreamConnection upstream) {
        Request request = connectContext.getRequest();
        Handshake exchange = (Handshake) request.getAttribute(EXCHANGE);
        ConcurrentMap<String, Object> context = connectContext.getContext();
        prepareContext(request, context);
        exchange.connectContext = connectContext;
        exchange.upstream = upstream;
        DownstreamConnection downstream = newDownstreamConnection(connectContext.getEndPoint(), context);
        downstream.setInputBufferSize(getBufferSize());
        upstream.setConnection(downstream);
        downstream.setConnection(upstream);
        exchange.downstream = downstream;
        upstream.getEndPoint().write(Callback.from(() -> { }, failure -> exchange.fail(failure)),
                exchange.request);
    }

    @Override
    protected void onConnectFailure(Request request, Response response, Callback callback, Throwable failure) {
        Handshake exchange = (Handshake) request.getAttribute(EXCHANGE);
        log.debug("WebSocket connect to {} failed", exchange == null ? "?" : exchange.forward.endpoint(), failure);
        if (exchange == null) {
            writeError(response, callback, ErrorResponse.UPSTREAM_UNREACHABLE, null,
                    "backend unreachable: " + failure.getMessage(), HeaderEdits.NONE, System.nanoTime());
            return;
        }
        router.failed(exchange.forward.endpoint());
        Decision.Forward next = router.retry(exchange.forward, "GET", true, true);
        if (next != null) {
            connect(request, response, callback, new Handshake(next, handshake(request, next), exchange.start,
                    exchange.clientIp));
            return;
        }
        exchange.upstreamNanos = System.nanoTime() - exchange.upstreamStartNanos;
        exchange.forward.headers().applyResponse(response.getHeaders());
        writeError(response, callback, ErrorResponse.UPSTREAM_UNREACHABLE, exchange.forward.route(), "backend "
                + exchange.upstreamAddress() + " unreachable: " + failure.getMessage(), exchange.forward.headers(),
                exchange.start);
    }

    /**
     * Reads from the backend. Until the backend's answer to the handshake is complete, its bytes are collected here
     * and nothing reaches the client; a 101 then upgrades the client's connection, and bytes the backend sent after
     * its head (collected while the upgrade is under way) are written to the client by {@link Handshake#opened}.
     */
    @Override
    protected int read(EndPoint endPoint, ByteBuffer buffer, ConcurrentMap<String, Object> context)
            throws IOException {
        Handshake exchange = (Handshake) context.get(EXCHANGE);
        if (exchange == null) {
            return super.read(endPoint, buffer, context);
        }
        synchronized (exchange) {
            if (exchange.state == State.OPEN) {
                return super.read(endPoint, buffer, context);
            }
            if (exchange.state == State.DONE) {
                return 0;
            }
            ByteBuffer into = BufferUtil.allocate(4096);
            int read = endPoint.fill(into); // Jetty fills a buffer given in flush mode and leaves it so
            if (read < 0) {
                if (exchange.state == State.HANDSHAKE) {
                    exchange.fail(new IOException("the backend closed the connection during the handshake"));
                }
                return 0; // the client's connection is not a tunnel yet: it must not be shut here
            }
            exchange.collect(into);
            if (exchange.state == State.HANDSHAKE) {
                int end = exchange.headEnd();
                if (end >= 0) {
                    exchange.answer(end);
                } else if (exchange.head.remaining() > MAX_HEAD_BYTES) {
                    exchange.fail(new IOException("the backend's answer to the handshake is over "
                            + MAX_HEAD_BYTES + " bytes without ending its head"));
                }
            }
            return 0;
        }
    }

    /** HANDSHAKE: waiting for the backend's head; UPGRADING: 101 sent, client connection switching; DONE: refused. */
    private enum State { HANDSHAKE, UPGRADING, OPEN, DONE }

    /** One tunnelled handshake: where it goes and what the backend has answered so far. Guarded by itself. */
    private final class Handshake implements AccessLog.Entry {
        final Decision.Forward forward;
        final ByteBuffer request;
        /** When the handshake arrived, for the route's request duration. */
        final long start;
        /** The client's address through the trusted proxies, for the access log. */
        final String clientIp;
        long upstreamStartNanos;
        volatile long upstreamNanos = -1;
        State state = State.HANDSHAKE;
        ConnectContext connectContext;
        UpstreamConnection upstream;
        DownstreamConnection downstream;
        ByteBuffer head = BufferUtil.allocate(0);

        Handshake(Decision.Forward forward, ByteBuffer request, long start, String clientIp) {
            this.forward = forward;
            this.request = request;
            this.start = start;
            this.clientIp = clientIp;
        }

        @Override
        public String clientIp() {
            return clientIp;
        }

        @Override
        public String routeId() {
            return forward.routeId();
        }

        @Override
        public String upstreamAddress() {
            return forward.endpoint().host() + ":" + forward.endpoint().port();
        }

        @Override
        public long upstreamNanos() {
            return upstreamNanos;
        }

        @Override
        public HeaderEdits ids() {
            return forward.headers();
        }

        void collect(ByteBuffer more) {
            ByteBuffer joined = ByteBuffer.allocate(head.remaining() + more.remaining());
            joined.put(head).put(more).flip();
            head = joined;
        }

        /** Index just past the blank line that ends the backend's head, or -1. */
        int headEnd() {
            for (int i = head.position(); i + 3 < head.limit(); i++) {
                if (head.get(i) == '\r' && head.get(i + 1) == '\n' && head.get(i + 2) == '\r' && head.get(i + 3) == '\n') {
                    return i + 4;
                }
            }
            return -1;
        }

        /** The backend's head is in: a 101 upgrades the client; any other answer is relayed to it as it is. */
        void answer(int end) {
            String text = new String(head.array(), head.arrayOffset() + head.position(), end - head.position(),
                    StandardCharsets.ISO_8859_1);
            head.position(end);
            String[] lines = text.split("\r\n");
            String[] statusLine = lines[0].split(" ", 3);
            int status = statusLine.length >= 2 && statusLine[1].matches("[1-5]\\d\\d") ? Integer.parseInt(statusLine[1]) : 502;
            Request request = connectContext.getRequest();
            Response response = connectContext.getResponse();
            long contentLength = -1;
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                if (colon <= 0) {
                    continue;
                }
                String name = lines[i].substring(0, colon).trim();
                String value = lines[i].substring(colon + 1).trim();
                if (name.equalsIgnoreCase("Content-Length")) {
                    contentLength = value.matches("\\d{1,9}") ? Long.parseLong(value) : -1;
                } else if (!name.equalsIgnoreCase("Transfer-Encoding") && !name.equalsIgnoreCase("Keep-Alive")) {
                    response.getHeaders().add(name, value);
                }
            }
            forward.headers().applyResponse(response.getHeaders());
            response.setStatus(status);
            upstreamNanos = System.nanoTime() - upstreamStartNanos;
            router.record(forward.route(), "GET", status, start);
            router.answered(forward.endpoint(), status);
            if (status == HttpStatus.SWITCHING_PROTOCOLS_101) {
                request.setAttribute(HttpStream.UPGRADE_CONNECTION_ATTRIBUTE, downstream);
                state = State.UPGRADING;
                log.debug("WebSocket {} tunnelled to {}", request.getHttpURI(), forward.endpoint());
                connectContext.getCallback().succeeded();
                return;
            }
            state = State.DONE;
            upstream.close();
            ByteBuffer body = BufferUtil.EMPTY_BUFFER;
            if (contentLength > 0 && head.remaining() >= contentLength) {
                body = head.slice();
                body.limit((int) contentLength);
            }
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.remaining());
            response.getHeaders().put(HttpHeader.CONNECTION, "close");
            response.write(true, body, connectContext.getCallback());
        }

        /**
         * The client's connection is the tunnel now. Bytes the backend sent after its head (a greeting often comes in
         * the same packet as the 101) are written to the client first; only then does the tunnel read the backend
         * directly, so the two never write to the client at once.
         */
        void opened() {
            ByteBuffer pending;
            synchronized (this) {
                if (!head.hasRemaining()) {
                    state = State.OPEN;
                    return;
                }
                pending = head;
                head = BufferUtil.allocate(0);
            }
            downstream.getEndPoint().write(Callback.from(this::opened, failure -> {
                upstream.close();
                downstream.close();
            }), pending);
        }

        void fail(Throwable failure) {
            synchronized (this) {
                if (state != State.HANDSHAKE) {
                    return;
                }
                state = State.DONE;
            }
            upstream.close();
            onConnectFailure(connectContext.getRequest(), connectContext.getResponse(),
                    connectContext.getCallback(), failure);
        }
    }

    @Override
    protected DownstreamConnection newDownstreamConnection(EndPoint endPoint, ConcurrentMap<String, Object> context) {
        Handshake exchange = (Handshake) context.get(EXCHANGE);
        endPoint.setIdleTimeout(getIdleTimeout());
        return new DownstreamConnection(endPoint, getExecutor(), getByteBufferPool(), context) {
            @Override
            public void onOpen() {
                super.onOpen();
                open.incrementAndGet();
                opened.incrementAndGet();
                if (exchange != null) {
                    exchange.forward.endpoint().acquire(); // an open socket is load: least_request and bounded load see it
                    exchange.opened();
                }
            }

            @Override
            public void onClose(Throwable cause) {
                super.onClose(cause);
                open.decrementAndGet();
                if (exchange != null) {
                    exchange.forward.endpoint().release();
                }
            }
        };
    }

    private void writeError(Response response, Callback callback, ErrorResponse error, RouteEntry route,
            String message, HeaderEdits ids, long start) {
        response.getHeaders().put(HttpHeader.CONNECTION, "close");
        router.record(route, "GET", error.status(), start);
        error.write(response, callback, route == null ? null : route.id(), message, ids);
    }
}
