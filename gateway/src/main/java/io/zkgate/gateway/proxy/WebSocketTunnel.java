package io.zkgate.gateway.proxy;

import io.zkgate.gateway.balancer.Endpoint;
import io.zkgate.gateway.routing.Decision;
import io.zkgate.gateway.routing.ErrorResponse;
import io.zkgate.gateway.routing.HeaderEdits;
import io.zkgate.gateway.routing.RequestRouter;
import io.zkgate.gateway.routing.RouteEntry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
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
    private static final String HANDSHAKE = WebSocketTunnel.class.getName() + ".handshake";
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
            Handshake handshake = new Handshake(forward, HandshakeRequest.encode(request, forward), start, clientIp);
            if (router.tracksEnd(forward)) {
                RequestEnd.onEnd(request, handshake::ended); // the handshake's end, 101 or not
            }
            connect(request, response, callback, handshake);
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

    private void connect(Request request, Response response, Callback callback, Handshake handshake) {
        request.setAttribute(HANDSHAKE, handshake);
        request.setAttribute(AccessLog.ENTRY, handshake);
        handshake.upstreamStartNanos = System.nanoTime();
        Endpoint endpoint = handshake.forward.endpoint();
        handleConnect(request, response, callback, endpoint.authority());
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

    @Override
    protected void prepareContext(Request request, ConcurrentMap<String, Object> context) {
        context.put(HANDSHAKE, request.getAttribute(HANDSHAKE));
    }

    @Override
    protected void onConnectSuccess(ConnectContext connectContext, UpstreamConnection upstream) {
        Request request = connectContext.getRequest();
        Handshake handshake = (Handshake) request.getAttribute(HANDSHAKE);
        ConcurrentMap<String, Object> context = connectContext.getContext();
        prepareContext(request, context);
        handshake.connectContext = connectContext;
        handshake.upstream = upstream;
        DownstreamConnection downstream = newDownstreamConnection(connectContext.getEndPoint(), context);
        downstream.setInputBufferSize(getBufferSize());
        upstream.setConnection(downstream);
        downstream.setConnection(upstream);
        handshake.downstream = downstream;
        upstream.getEndPoint().write(Callback.from(() -> { }, failure -> handshake.fail(failure)),
                handshake.requestHead);
    }

    @Override
    protected void onConnectFailure(Request request, Response response, Callback callback, Throwable failure) {
        Handshake handshake = (Handshake) request.getAttribute(HANDSHAKE);
        log.debug("WebSocket connect to {} failed", handshake == null ? "?" : handshake.forward.endpoint(), failure);
        if (handshake == null) {
            writeError(response, callback, ErrorResponse.UPSTREAM_UNREACHABLE, null,
                    "backend unreachable: " + failure.getMessage(), HeaderEdits.NONE, System.nanoTime());
            return;
        }
        router.failed(handshake.forward.endpoint());
        Decision.Forward next = router.retry(handshake.forward, "GET", true, true);
        if (next != null) {
            connect(request, response, callback,
                    new Handshake(next, HandshakeRequest.encode(request, next), handshake.start, handshake.clientIp));
            return;
        }
        handshake.upstreamNanos = System.nanoTime() - handshake.upstreamStartNanos;
        handshake.forward.headers().applyResponse(response.getHeaders());
        writeError(response, callback, ErrorResponse.UPSTREAM_UNREACHABLE, handshake.forward.route(), "backend "
                + handshake.upstreamAddress() + " unreachable: " + failure.getMessage(), handshake.forward.headers(),
                handshake.start);
    }

    /**
     * Reads from the backend. Until the backend's answer to the handshake is complete, its bytes are collected here
     * and nothing reaches the client; a 101 then upgrades the client's connection, and bytes the backend sent after
     * its head (collected while the upgrade is under way) are written to the client by {@link Handshake#opened}.
     */
    @Override
    protected int read(EndPoint endPoint, ByteBuffer buffer, ConcurrentMap<String, Object> context)
            throws IOException {
        Handshake handshake = (Handshake) context.get(HANDSHAKE);
        if (handshake == null) {
            return super.read(endPoint, buffer, context);
        }
        synchronized (handshake) {
            if (handshake.state == State.OPEN) {
                return super.read(endPoint, buffer, context);
            }
            if (handshake.state == State.DONE) {
                return 0;
            }
            ByteBuffer into = BufferUtil.allocate(4096);
            int read = endPoint.fill(into); // Jetty fills a buffer given in flush mode and leaves it so
            if (read < 0) {
                if (handshake.state == State.HANDSHAKE) {
                    handshake.fail(new IOException("the backend closed the connection during the handshake"));
                }
                return 0; // the client's connection is not a tunnel yet: it must not be shut here
            }
            handshake.collect(into);
            if (handshake.state == State.HANDSHAKE) {
                int end = HandshakeAnswer.headEnd(handshake.head);
                if (end >= 0) {
                    handshake.answer(end);
                } else if (handshake.head.remaining() > MAX_HEAD_BYTES) {
                    handshake.fail(new IOException("the backend's answer to the handshake is over "
                            + MAX_HEAD_BYTES + " bytes without ending its head"));
                }
            }
            return 0;
        }
    }

    /**
     * HANDSHAKE: waiting for the backend's head; UPGRADING: 101 sent, the client's connection switching, the backend's
     * early bytes held back; OPEN: the tunnel reads the backend itself; DONE: answered without an upgrade, or failed.
     */
    private enum State { HANDSHAKE, UPGRADING, OPEN, DONE }

    /** One tunnelled handshake: where it goes and what the backend has answered so far. Guarded by itself. */
    private final class Handshake implements AccessLog.Entry {
        final Decision.Forward forward;
        /** The handshake as the backend gets it. */
        final ByteBuffer requestHead;
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

        private final AtomicBoolean ended = new AtomicBoolean();

        Handshake(Decision.Forward forward, ByteBuffer requestHead, long start, String clientIp) {
            this.forward = forward;
            this.requestHead = requestHead;
            this.start = start;
            this.clientIp = clientIp;
        }

        /**
         * The handshake is over for the route's guards (its place under {@code maxInFlight} given back), once: at a
         * 101, before the client can read it and send another, or when the request ends otherwise.
         */
        void ended() {
            if (ended.compareAndSet(false, true)) {
                router.ended(forward);
            }
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
            return forward.endpoint().authority();
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

        /** The backend's head is in: a 101 upgrades the client; any other answer is relayed to it as it is. */
        void answer(int end) {
            HandshakeAnswer answer = HandshakeAnswer.read(head, end);
            int status = answer.status();
            Request request = connectContext.getRequest();
            Response response = connectContext.getResponse();
            response.getHeaders().add(answer.headers());
            forward.headers().applyResponse(response.getHeaders());
            response.setStatus(status);
            upstreamNanos = System.nanoTime() - upstreamStartNanos;
            router.record(forward.route(), "GET", status, start);
            router.answered(forward.endpoint(), status);
            if (status == HttpStatus.SWITCHING_PROTOCOLS_101) {
                request.setAttribute(HttpStream.UPGRADE_CONNECTION_ATTRIBUTE, downstream);
                state = State.UPGRADING;
                log.debug("WebSocket {} tunnelled to {}", request.getHttpURI(), forward.endpoint());
                if (router.tracksEnd(forward)) {
                    ended();
                }
                connectContext.getCallback().succeeded();
                return;
            }
            state = State.DONE;
            upstream.close();
            ByteBuffer body = BufferUtil.EMPTY_BUFFER;
            if (answer.contentLength() > 0 && head.remaining() >= answer.contentLength()) {
                body = head.slice();
                body.limit((int) answer.contentLength());
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
        Handshake handshake = (Handshake) context.get(HANDSHAKE);
        endPoint.setIdleTimeout(getIdleTimeout());
        return new DownstreamConnection(endPoint, getExecutor(), getByteBufferPool(), context) {
            @Override
            public void onOpen() {
                super.onOpen();
                open.incrementAndGet();
                opened.incrementAndGet();
                if (handshake != null) {
                    handshake.forward.endpoint().acquire(); // an open socket is load: least_request and bounded load see it
                    handshake.opened();
                }
            }

            @Override
            public void onClose(Throwable cause) {
                super.onClose(cause);
                open.decrementAndGet();
                if (handshake != null) {
                    handshake.forward.endpoint().release();
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
