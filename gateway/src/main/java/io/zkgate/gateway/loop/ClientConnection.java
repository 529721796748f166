package io.zkgate.gateway.loop;

import io.zkgate.gateway.balancer.Endpoint;
import io.zkgate.gateway.loop.LoopConnector.LoopEndPoint;
import io.zkgate.gateway.loop.LoopConnector.LoopSelector;
import io.zkgate.gateway.proxy.JsonErrorHandler;
import io.zkgate.gateway.routing.HeaderEdits;
import io.zkgate.gateway.routing.RequestTracing;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.http.HttpCompliance;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.io.AbstractConnection;
import org.eclipse.jetty.io.AbstractEndPoint;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.util.BufferUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client's HTTP/1.1 connection on the event loop: Jetty's {@link HttpParser} reads requests on the selector
 * thread (a {@link AbstractConnection.NonBlocking} connection is filled there), each becomes an {@link Exchange},
 * and parsing pauses while the exchange cannot take more (its upstream is connecting, or a body write has not
 * drained), so a slow side slows the other instead of filling memory. Pipelined requests wait in the input buffer
 * and are answered in order. Confined to its event loop's thread.
 */
final class ClientConnection extends AbstractConnection.NonBlocking
        implements HttpParser.RequestHandler, Connection.UpgradeTo, Connection.UpgradeFrom {
    private static final Logger log = LoggerFactory.getLogger(ClientConnection.class);
    static final int INPUT_BYTES = 16 * 1024;
    private static final ByteBuffer NO_INPUT = BufferUtil.EMPTY_BUFFER;
    /** What a read interest withdrawn at close is failed with: one instance, no stack trace. */
    private static final ClosedChannelException CLOSING = new ClosedChannelException() {
        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    };

    final LoopEngine engine;
    /** Where this connection's exchanges open their upstream connections. */
    final LoopConnector connector;
    final LoopSelector loop;
    /** The client speaks TLS: this connection sits on the decrypted side of Jetty's SslConnection. */
    final boolean secure;
    final Writes out;
    /** Response heads for this client, written into one array reused from response to response. */
    final HeadBuilder head = new HeadBuilder(512);
    private final HttpParser parser;
    /** None between requests ({@link #releaseInput}); one of the loop's {@link InputBuffers} while there is work. */
    private ByteBuffer input = NO_INPUT;
    /** Parsing waits for the current exchange (an upstream to connect, a write to drain, a response to finish). */
    private boolean waiting;
    /** Inside {@code parser.parseNext}: whatever ends an exchange then only clears {@link #waiting}. */
    private boolean parsing;
    private boolean closing;
    /** The parse under way read a whole request: read interest is kept on while its exchange runs. */
    private boolean requestRead;
    private Exchange exchange;
    private String clientAddress;
    /** Set once the connection became a WebSocket tunnel: no more HTTP on it. */
    private ByteTunnel tunnel;
    /** What Jetty's connection starts from once this one is handed to the servlet front door ({@link ServletHandoff}). */
    private ByteBuffer handedOff;

    private String method;
    private String target;
    private HttpVersion version;
    private HttpFields.Mutable headers;
    private long startNanos;

    ClientConnection(LoopEngine engine, LoopConnector connector, EndPoint endPoint, Executor executor) {
        super(endPoint, executor);
        this.engine = engine;
        this.connector = connector;
        EndPoint socket = endPoint;
        while (socket instanceof EndPoint.Wrapper wrapper) { // TLS: the socket endpoint beneath the decrypted one
            socket = wrapper.unwrap();
        }
        this.loop = ((LoopEndPoint) socket).loop;
        this.secure = socket != endPoint;
        this.parser = new HttpParser(this, engine.maxHeaderBytes, HttpCompliance.RFC9110);
        // Jetty's per-connection cache of repeated header fields is a trie built from the second request on, about
        // 100 KB for a browser's headers and kept for the connection's life: a few thousand keep-alive browsers would
        // fill the heap. Without it a browser's head parses about 0.8 us slower, ApacheBench's no slower.
        parser.setHeaderCacheSize(0);
        this.out = new Writes(endPoint, this::writeDrained, failure -> loop.run(() -> abort(failure)));
    }

    /** Bytes a protocol detection read before handing the connection over (the first request's start). */
    @Override
    public void onUpgradeTo(ByteBuffer buffer) {
        if (input == NO_INPUT) {
            input = BufferUtil.allocate(INPUT_BYTES); // a detection's pool thread: not the loop's spares
        }
        BufferUtil.append(input, buffer);
    }

    @Override
    public void onOpen() {
        super.onOpen();
        if (input.hasRemaining()) {
            loop.later(this::process); // opened by a detection on a pool thread: parse what it read on the loop
        } else {
            fillInterested();
        }
    }

    @Override
    public void onFillable() {
        if (tunnel != null) {
            tunnel.clientToUpstream.pump();
        } else {
            process();
        }
    }

    /** After a 101: the exchange is over, the bytes left in the input buffer and all that follow go upstream. */
    ByteTunnel startTunnel(UpstreamConnection upstream, ByteBuffer upstreamInput, Endpoint endpoint) {
        exchange = null;
        waiting = true;
        tunnel = new ByteTunnel(engine, endpoint, this, input, upstream, upstreamInput);
        return tunnel;
    }

    /** Reads and parses until the socket is empty or the current exchange asks to wait. */
    private void process() {
        while (!waiting && !closing) {
            if (!input.hasRemaining()) {
                if (input == NO_INPUT) {
                    input = loop.inputs.take();
                }
                int filled = Reads.fill(this, input, this::abort);
                if (filled == Reads.EOF) {
                    parser.atEOF();
                    parser.parseNext(input);
                    if (exchange == null && handedOff == null) {
                        close();
                    }
                }
                if (filled <= 0) {
                    releaseInput();
                    return;
                }
            }
            if (exchange == null && parser.isState(HttpParser.State.END)) {
                parser.reset();
            }
            parsing = true;
            try {
                parser.parseNext(input);
            } finally {
                parsing = false;
            }
            if (parser.isClosed() || parser.isState(HttpParser.State.CLOSE)) {
                return;
            }
            if (requestRead) {
                requestRead = false;
                keepReadInterest();
            }
        }
    }

    /**
     * The request whose head was just parsed, and the rest of this connection, go to the servlet front door: the
     * head as parsed and what was read past it are handed to Jetty's HTTP/1.1 connection, and this one stops.
     */
    void handOff(String method, String target, HttpVersion version, HttpFields headers) {
        exchange = null;
        waiting = true;
        handedOff = ServletHandoff.bytes(method, target, version, headers, input);
        engine.handoff.upgrade(this);
    }

    @Override
    public ByteBuffer onUpgradeFrom() {
        return handedOff;
    }

    /** The exchange can take more of the request, or finished: parsing goes on. */
    void resume() {
        if (waiting) {
            waiting = false;
            if (!parsing) {
                process();
            }
        }
    }

    private void writeDrained() {
        if (tunnel != null) {
            tunnel.upstreamToClient.drained();
        } else if (closing) {
            closeNow();
        } else {
            Exchange current = exchange;
            if (current != null) {
                current.clientWriteDrained();
            } else {
                resume();
            }
        }
    }

    /** The current exchange answered and read its whole request. */
    void exchangeDone(boolean keepAlive) {
        exchange = null;
        if (!keepAlive) {
            closeAfterWrites();
        } else if (out.pending()) {
            waiting = true; // the next request is read once this response has drained
        } else if (!input.hasRemaining() && !parsing) {
            waiting = false; // nothing pipelined: wait for the next request without a read that would find none
            releaseInput();
            if (!isFillInterested()) {
                fillInterested();
            }
        } else {
            resume();
        }
    }

    /**
     * Leaves read interest on while a request that was read whole is answered, so the selector's interest in this
     * connection does not go off at each request and on again at its answer: two {@code epoll_ctl} calls a request
     * fewer. Should the client send before the answer is done (a pipelined request, its close), the readiness is
     * seen once and left in the socket: parsing waits for the exchange, and the interest goes off until then.
     */
    private void keepReadInterest() {
        if (waiting && exchange != null && !input.hasRemaining() && tunnel == null && !isFillInterested()) {
            fillInterested();
        }
    }

    /**
     * Gives the input buffer back to the loop when nothing is in it and nothing else can hold a slice of it: no
     * exchange (whose request body pieces are written upstream from it), no tunnel, no hand-off, no parse under way.
     * A body piece whose upstream write was still pending when its exchange ended is on a connection that was then
     * closed, never pooled ({@link UpstreamAttempts#release}), so it is not written from the buffer again.
     */
    private void releaseInput() {
        if (input != NO_INPUT && !input.hasRemaining() && exchange == null && tunnel == null && handedOff == null
                && !parsing) {
            loop.inputs.give(input);
            input = NO_INPUT;
        }
    }

    /** Closes once the last response has drained. */
    void closeAfterWrites() {
        closing = true;
        if (!out.pending()) {
            closeNow();
        }
    }

    /**
     * Closes, having first withdrawn the read interest it keeps on (and the TLS layer's beneath it) with one shared
     * exception: Jetty fails a read still pending at close with a new {@code ClosedChannelException} each time, whose
     * stack trace cost about 2.5 % of the CPU of a TLS connection per request.
     */
    private void closeNow() {
        getEndPoint().shutdownOutput(); // over TLS this sends close_notify, and reads for the peer's again
        EndPoint endPoint = getEndPoint();
        while (endPoint instanceof AbstractEndPoint withInterest) {
            withInterest.getFillInterest().onFail(CLOSING);
            endPoint = endPoint instanceof EndPoint.Wrapper wrapper ? wrapper.unwrap() : null;
        }
        close();
    }

    @Override
    public void onFillInterestedFailed(Throwable cause) {
        if (cause != CLOSING) {
            super.onFillInterestedFailed(cause);
        }
    }

    Executor executor() {
        return getExecutor();
    }

    private void abort(Throwable failure) {
        Exchange current = exchange;
        exchange = null;
        if (current != null) {
            current.clientGone(failure);
        }
        close();
    }

    @Override
    public void onClose(Throwable cause) {
        super.onClose(cause);
        loop.run(() -> {
            if (tunnel != null) {
                tunnel.close();
            }
            Exchange current = exchange;
            exchange = null;
            if (current != null) {
                current.clientGone(cause);
            } else if (input != NO_INPUT) {
                BufferUtil.clear(input); // what a closed connection left unparsed
                releaseInput();
            }
        });
    }

    /**
     * Called on the scheduler's thread: the check moves to the loop. Idle only counts between requests, so a client
     * waiting for a slow backend is not cut by the client idle timeout (the route's response timeout bounds that).
     */
    @Override
    public boolean onIdleExpired(TimeoutException timeout) {
        if (exchange == null) {
            loop.run(() -> {
                if (exchange == null) {
                    close();
                }
            });
        }
        return false;
    }

    // ---- HttpParser.RequestHandler: called from parseNext on this thread ----------------------------------------

    @Override
    public void startRequest(String method, String uri, HttpVersion version) {
        this.method = method;
        this.target = uri;
        this.version = version;
        this.headers = HttpFields.build(16);
        this.startNanos = System.nanoTime();
    }

    @Override
    public void parsedHeader(HttpField field) {
        headers.add(field);
    }

    @Override
    public boolean headerComplete() {
        boolean keepAlive = version == HttpVersion.HTTP_1_1
                ? !headers.contains(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString())
                : version == HttpVersion.HTTP_1_0
                        && headers.contains(HttpHeader.CONNECTION, HttpHeaderValue.KEEP_ALIVE.asString());
        boolean hasBody = parser.isChunking() || parser.getContentLength() > 0;
        exchange = new Exchange(this, method, target, version, headers, keepAlive, hasBody, parser.isChunking(),
                startNanos);
        headers = null; // the exchange's now; a message refused before its head was whole has its own
        if (hasBody) {
            waiting = true; // the body is parsed once the upstream took the head
        }
        exchange.begin();
        return hasBody;
    }

    @Override
    public boolean content(ByteBuffer content) {
        Exchange current = exchange;
        if (current != null && !current.requestContent(content)) {
            waiting = true;
            return true;
        }
        return false;
    }

    @Override
    public void parsedTrailer(HttpField field) {
        Exchange current = exchange;
        if (current != null) {
            current.requestTrailer(field);
        }
    }

    @Override
    public boolean contentComplete() {
        return false;
    }

    @Override
    public boolean messageComplete() {
        Exchange current = exchange;
        if (current != null) {
            waiting = true;
            requestRead = true;
            current.requestComplete();
        }
        return true;
    }

    @Override
    public void earlyEOF() {
        abort(new IOException("the client closed the connection in the middle of a request"));
    }

    @Override
    public void badMessage(HttpException failure) {
        int status = failure.getCode();
        Throwable cause = ((Throwable) failure).getCause();
        if (cause != null && !(cause instanceof HttpException)) {
            log.warn("request handling failed on the event loop (answered 400, connection closed)", cause);
        }
        Exchange current = exchange;
        exchange = null;
        HeaderEdits ids;
        if (current != null) {
            current.clientGone(null);
            ids = current.ids(); // the body was bad: the request was routed and has its ids
        } else {
            HttpFields.Mutable read = headers; // the fields read before the failure, or null
            ids = engine.router.unroutedIds(read == null ? null : read.get(RequestTracing.REQUEST_ID),
                    read == null ? null : read.get(RequestTracing.TRACEPARENT));
        }
        LocalAnswers.parserError(this, status, JsonErrorHandler.body(status, failure.getReason(), ids), ids);
        closeAfterWrites();
    }

    /** The peer's address, formatted once per connection. */
    String clientAddress() {
        String address = clientAddress;
        if (address == null) {
            Object remote = getEndPoint().getRemoteSocketAddress();
            address = remote instanceof java.net.InetSocketAddress a ? a.getAddress().getHostAddress()
                    : String.valueOf(remote);
            clientAddress = address;
        }
        return address;
    }
}
