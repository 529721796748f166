package io.zkgate.gateway.loop;

import io.zkgate.gateway.balancer.Endpoint;
import java.nio.ByteBuffer;
import org.eclipse.jetty.io.AbstractConnection;

/**
 * A client connection and its upstream connection after the backend answered 101 (a WebSocket): bytes flow both
 * ways on the event loop, each direction reading only when what it read last was written (back-pressure). Either
 * side closing closes both. Confined to its event loop's thread.
 */
final class ByteTunnel {
    final Pump clientToUpstream;
    final Pump upstreamToClient;
    private final LoopEngine engine;
    private final Endpoint endpoint;
    private final AbstractConnection client;
    private final AbstractConnection upstream;
    private boolean closed;

    ByteTunnel(LoopEngine engine, Endpoint endpoint, ClientConnection client, ByteBuffer clientInput,
            UpstreamConnection upstream, ByteBuffer upstreamInput) {
        this.engine = engine;
        this.endpoint = endpoint;
        this.client = client;
        this.upstream = upstream;
        this.clientToUpstream = new Pump(client, clientInput, upstream.out);
        this.upstreamToClient = new Pump(upstream, upstreamInput, client.out);
        client.getEndPoint().setIdleTimeout(engine.websocketIdleMs);
        upstream.getEndPoint().setIdleTimeout(engine.websocketIdleMs);
        engine.tunnelOpened();
    }

    /** Closes both connections once; the backend stops counting the tunnel as a request in flight. */
    void close() {
        if (closed) {
            return;
        }
        closed = true;
        endpoint.release();
        engine.tunnelClosed();
        client.close();
        upstream.close();
    }

    /** One direction: reads {@code from} into its buffer and writes it to the other side. */
    final class Pump {
        private final AbstractConnection from;
        private final ByteBuffer buffer;
        private final Writes to;
        private boolean waiting;

        Pump(AbstractConnection from, ByteBuffer buffer, Writes to) {
            this.from = from;
            this.buffer = buffer;
            this.to = to;
        }

        /** Holds the pump until {@link #drained}: the other side is still writing something else first. */
        void hold() {
            waiting = true;
        }

        /** Moves what can be moved now: bytes already buffered first, then whatever the socket has. */
        void pump() {
            while (!waiting && !closed) {
                if (!buffer.hasRemaining()) {
                    int filled = Reads.fill(from, buffer, failure -> close());
                    if (filled == Reads.EOF) {
                        close();
                    }
                    if (filled <= 0) {
                        return;
                    }
                }
                if (!to.write(buffer)) {
                    waiting = true; // resumes when the other side drained
                    return;
                }
            }
        }

        void drained() {
            waiting = false;
            pump();
        }
    }
}
