package io.zkgate.gateway.loop;

import io.zkgate.gateway.loop.LoopConnector.LoopEndPoint;
import io.zkgate.gateway.loop.LoopConnector.LoopSelector;
import io.zkgate.gateway.proxy.UpstreamHttpClient;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.http.HttpCompliance;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.io.AbstractConnection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.util.BufferUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A keep-alive connection to one backend, on the event loop of the client connection that opened it: Jetty's
 * {@link HttpParser} reads the backend's responses on the selector thread and hands them to the current
 * {@link Exchange}. Between exchanges it waits in its loop's {@link UpstreamPool} with read interest left on, so a
 * backend that closes it is noticed at once and it leaves the pool. Confined to its event loop's thread.
 */
final class UpstreamConnection extends AbstractConnection.NonBlocking implements HttpParser.ResponseHandler {
    private static final Logger log = LoggerFactory.getLogger(UpstreamConnection.class);
    private static final int INPUT_BYTES = 16 * 1024;

    final Writes out;
    /** Request heads for this backend, written into one array reused from request to request. */
    final HeadBuilder head = new HeadBuilder(512);
    /** The socket's endpoint: {@link #getEndPoint()} itself, or beneath it the TLS layer's. */
    private final LoopEndPoint socket;
    private final LoopSelector loop;
    private final String address;
    private final HttpParser parser;
    private ByteBuffer input = BufferUtil.allocateDirect(INPUT_BYTES);
    private Exchange exchange;
    private ByteTunnel tunnel;
    private boolean waiting;
    /** Whether this connection served an exchange before the current one (a stale pooled one may be retried). */
    private boolean reused;
    private boolean responseStarted;
    private boolean headRequest;
    /** The parser delivered a whole response; the exchange hears of it once parseNext has returned. */
    private boolean completed;
    private boolean opened;
    /** Why the parser gave up on the current response, until the handler hears of it. Event loop only. */
    private HttpException parseFailure;
    /** Why the TLS handshake failed, if it did: the close that follows often carries no cause of its own. */
    private volatile Throwable tlsFailure;

    /**
     * @param endPoint where HTTP is read and written: the socket's, or the decrypted side of a TLS connection on it
     * @param socket   the socket's endpoint
     * @param address  the pool key: backend address, and for TLS its setting
     */
    UpstreamConnection(EndPoint endPoint, LoopEndPoint socket, Executor executor, LoopSelector loop, String address) {
        super(endPoint, executor);
        this.socket = socket;
        this.loop = loop;
        this.address = address;
        this.parser = new HttpParser(this, UpstreamHttpClient.MAX_RESPONSE_HEAD_BYTES, HttpCompliance.RFC9110) {
            @Override
            protected void badMessage(HttpException failure) {
                parseFailure = failure; // after the head, Jetty reports it to the handler as an early EOF
                super.badMessage(failure);
            }
        };
        parser.setHeaderCacheSize(0); // as a client connection's: no trie kept per pooled connection
        this.out = new Writes(endPoint, this::writeDrained, failure -> loop.run(() -> fail(failure)), loop.turnWrites);
    }

    String address() {
        return address;
    }

    boolean reused() {
        return reused;
    }

    /** Whether the backend's answer to the current exchange has begun. */
    boolean responseStarted() {
        return responseStarted;
    }

    /** Takes {@code next} as its exchange; a HEAD request's response has no body whatever its headers say. */
    void attach(Exchange next, boolean headRequest, long responseTimeoutMs) {
        socket.notIdle(); // its idle time in the pool does not count against the response
        exchange = next;
        responseStarted = false;
        parser.reset();
        this.headRequest = headRequest;
        parser.setHeadResponse(headRequest);
        getEndPoint().setIdleTimeout(responseTimeoutMs);
    }

    /**
     * The exchange is over and the connection can serve another: back to the loop's pool, which closes it once idle
     * for {@code idleTimeoutMs}. Its own idle timer keeps the response timeout (Jetty reschedules that timer only
     * when the timeout shrinks), so the next exchange that takes it does not reschedule it either.
     */
    void release(long idleTimeoutMs, int maxIdle) {
        exchange = null;
        reused = true;
        waiting = false;
        loop.pool.offer(this, maxIdle, idleTimeoutMs);
    }

    /** How long nothing was read from or written to the socket. */
    long idleForMs() {
        return socket.getIdleFor();
    }

    /** Closes a connection its exchange gave up; nobody is told. */
    void discard() {
        exchange = null;
        loop.pool.remove(this);
        close();
    }

    @Override
    public void onOpen() {
        super.onOpen();
        opened = true;
        fillInterested();
        Exchange current = exchange;
        if (current != null) {
            current.sendHead();
        }
    }

    boolean opened() {
        return opened;
    }

    /** The TLS layer beneath failed its handshake with {@code failure}. */
    void tlsFailed(Throwable failure) {
        tlsFailure = failure;
    }

    @Override
    public void onFillable() {
        if (tunnel == null) {
            process();
        } else {
            tunnel.upstreamToClient.pump();
        }
    }

    /** The bytes after the 101's head, for the tunnel to send on first. */
    ByteBuffer input() {
        return input;
    }

    /** After a 101: no more HTTP on this connection, and it never goes back to the pool. */
    void becomeTunnel(ByteTunnel t) {
        exchange = null;
        waiting = true;
        tunnel = t;
    }

    /** Stops parsing until {@link #resume}: what was read cannot be written yet. */
    void pause() {
        waiting = true;
    }

    /** The exchange took the last piece it was given: parsing goes on. */
    void resume() {
        if (waiting) {
            waiting = false;
            process();
        }
    }

    private void process() {
        while (!waiting) {
            if (!input.hasRemaining()) {
                int filled = Reads.fill(this, input, this::fail);
                if (filled == Reads.EOF) {
                    parser.atEOF();
                    if (exchange != null) {
                        parser.parseNext(input); // a body that runs to the close ends here
                        if (completed) {
                            completed = false;
                            exchange.responseComplete();
                        }
                    }
                    fail(new IOException("the backend closed the connection"));
                }
                if (filled <= 0) {
                    return;
                }
            }
            if (exchange == null) {
                fail(new IOException("the backend sent bytes while no request was outstanding"));
                return;
            }
            parser.parseNext(input);
            if (exchange != null && !completed) {
                exchange.flushHead(); // headers that came without body bytes go out now (event streams, slow bodies)
            }
            if (completed) {
                completed = false;
                Exchange current = exchange;
                if (current != null && current.interimResponse()) { // 100 Continue, 103: relayed, the answer follows
                    parser.reset();
                    parser.setHeadResponse(headRequest);
                } else if (current != null) {
                    current.responseComplete(); // releases or re-attaches this connection
                    if (!input.hasRemaining() && !waiting && getEndPoint().isOpen()) {
                        fillInterested(); // no read that would find nothing: the selector says when there is more
                        return;
                    }
                }
                continue;
            }
            if (parser.isClose() || parser.isClosed()) {
                return;
            }
        }
    }

    private void writeDrained() {
        if (tunnel != null) {
            tunnel.clientToUpstream.drained();
            return;
        }
        Exchange current = exchange;
        if (current != null) {
            current.upstreamWriteDrained();
        }
    }

    /** Closes the connection; the exchange, if any, learns why. */
    void fail(Throwable failure) {
        Exchange current = exchange;
        exchange = null;
        loop.pool.remove(this);
        close();
        if (current != null) {
            current.upstreamFailed(failure);
        }
    }

    @Override
    public void onClose(Throwable cause) {
        super.onClose(cause);
        loop.run(() -> {
            loop.pool.remove(this);
            if (tunnel != null) {
                tunnel.close();
            }
            Exchange current = exchange;
            exchange = null;
            if (current != null) {
                Throwable why = cause != null ? cause : tlsFailure;
                current.upstreamFailed(why == null ? new IOException("the backend connection closed") : why);
            }
        });
    }

    /**
     * Called on the scheduler's thread: the check moves to the loop. Silence past the route's response timeout
     * while an exchange waits is a 504; in the pool it means nothing (the pool closes connections idle past the
     * upstream idle timeout).
     */
    @Override
    public boolean onIdleExpired(TimeoutException timeout) {
        if (tunnel != null) {
            loop.run(tunnel::close); // silent both ways for the WebSocket idle timeout
            return false;
        }
        Exchange expired = exchange;
        loop.run(() -> {
            if (expired == null || exchange != expired) {
                return; // idle in the pool, where the pool's sweep ends it; or another exchange took it meanwhile
            }
            exchange = null;
            loop.pool.remove(this);
            close();
            if (expired != null) {
                expired.upstreamTimedOut();
            }
        });
        return false;
    }

    // ---- HttpParser.ResponseHandler -----------------------------------------------------------------------------

    @Override
    public void startResponse(HttpVersion version, int status, String reason) {
        responseStarted = true;
        exchange.responseBegin(version, status, reason);
    }

    @Override
    public void parsedHeader(HttpField field) {
        exchange.responseHeader(field);
    }

    @Override
    public boolean headerComplete() {
        return pauseUnless(exchange.responseHeadersComplete(parser.getContentLength(), parser.isChunking()));
    }

    @Override
    public boolean content(ByteBuffer content) {
        return pauseUnless(exchange.responseContent(content));
    }

    @Override
    public void parsedTrailer(HttpField field) {
        exchange.responseTrailer(field);
    }

    @Override
    public boolean contentComplete() {
        return false;
    }

    @Override
    public boolean messageComplete() {
        completed = true;
        return true;
    }

    /**
     * At the socket's close, {@link #process} reports it. Otherwise the parser gave up after the head (Jetty reports
     * that as an early EOF): a malformed body, and the backend may keep its socket open after one.
     */
    @Override
    public void earlyEOF() {
        HttpException failure = parseFailure;
        if (failure != null) {
            badMessage(failure);
        }
    }

    @Override
    public void badMessage(HttpException failure) {
        parseFailure = null;
        fail(failureOf(failure));
    }

    /**
     * A malformed response, or a failure of the gateway's own while it handled one: Jetty's parser catches whatever
     * its handler throws and reports it as a bad message, so the gateway's bug would otherwise pass for the backend's.
     */
    private static IOException failureOf(HttpException failure) {
        Throwable cause = ((Throwable) failure).getCause();
        if (cause != null && !(cause instanceof HttpException)) {
            log.warn("handling a backend's response failed on the event loop (the exchange is answered 502 or cut)",
                    cause);
            return new IOException("the gateway failed on the backend's response: " + cause, cause);
        }
        return new IOException("the backend's response is malformed: " + failure.getReason());
    }

    private boolean pauseUnless(boolean carryOn) {
        if (!carryOn) {
            waiting = true;
            return true;
        }
        return false;
    }
}
