package io.zkgate.gateway.loop;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.net.SocketTimeoutException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.io.AbstractConnection;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.ManagedSelector;
import org.eclipse.jetty.io.SelectorManager;
import org.eclipse.jetty.io.SocketChannelEndPoint;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * A {@link ServerConnector} whose selectors are the event loops: each selector thread serves its client connections
 * and, through {@link #connectUpstream}, the upstream connections they open, registered on that same selector, so a
 * request and its upstream exchange never leave the thread that read it.
 * Thread-safe as Jetty's connector is; {@link #connectUpstream} is called on the event loop it connects for.
 */
public final class LoopConnector extends ServerConnector {
    /** The selector {@link #connectUpstream} wants the new channel on, read by chooseSelector within that call. */
    private static final ThreadLocal<LoopSelector> TARGET = new ThreadLocal<>();
    /**
     * A selector's own chores, by class name (Jetty keeps them package-private): set up an accepted or a connected
     * endpoint, tear down a closed one. Named one by one: the selector's other tasks include its endless select
     * loop, which must never be queued on a loop.
     */
    private static final Set<String> SELECTOR_CHORES = Set.of(ManagedSelector.class.getName() + "$Accept",
            ManagedSelector.class.getName() + "$CreateEndPoint", ManagedSelector.class.getName() + "$DestroyEndPoint");

    /**
     * No acceptor thread: the listening socket is non-blocking and accepted by a loop's selector, so a new
     * connection is not handed from an acceptor thread to a loop.
     *
     * @param factories the first one takes each accepted connection (TLS, a protocol detection, or the loop's)
     */
    public LoopConnector(Server server, int selectors, ConnectionFactory... factories) {
        super(server, null, null, null, 0, selectors, factories);
    }

    /**
     * Opens a non-blocking connection to {@code host:port} on {@code pending}'s event loop, giving up after
     * {@code timeoutMs}; {@code pending} learns of the new connection or of the failure on that loop's thread.
     */
    void connectUpstream(String host, int port, long timeoutMs, UpstreamConnect pending) {
        SocketChannel channel = null;
        TARGET.set(pending.loop());
        try {
            channel = SocketChannel.open();
            channel.configureBlocking(false);
            channel.socket().setTcpNoDelay(true);
            Connecting connecting = new Connecting(pending, channel, timeoutMs);
            if (channel.connect(new InetSocketAddress(host, port))) {
                getSelectorManager().accept(channel, connecting);
            } else {
                connecting.timeout = getScheduler().schedule(() -> pending.loop().run(connecting::timedOut),
                        timeoutMs, TimeUnit.MILLISECONDS);
                getSelectorManager().connect(channel, connecting);
            }
        } catch (IOException | RuntimeException e) {
            closeQuietly(channel);
            pending.failed(e);
        } finally {
            TARGET.remove();
        }
    }

    private static void closeQuietly(SocketChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // already failing
            }
        }
    }

    /**
     * One connect under way, with its own timeout (a route's {@code timeouts.connectMs}): exactly one of connected,
     * failed and timed out wins. Confined to the event loop's thread.
     */
    private static final class Connecting {
        final UpstreamConnect pending;
        final SocketChannel channel;
        final long timeoutMs;
        Scheduler.Task timeout;
        boolean done;

        Connecting(UpstreamConnect pending, SocketChannel channel, long timeoutMs) {
            this.pending = pending;
            this.channel = channel;
            this.timeoutMs = timeoutMs;
        }

        Connection connected(EndPoint endPoint, LoopSelector loop) {
            if (done) { // timed out just before: the late connection is closed at once
                return new AbstractConnection(endPoint, Runnable::run) {
                    @Override
                    public void onOpen() {
                        super.onOpen();
                        close();
                    }

                    @Override
                    public void onFillable() {
                    }
                };
            }
            finish();
            return pending.newConnection(endPoint, loop);
        }

        void failed(Throwable failure) {
            if (!done) {
                finish();
                pending.failed(failure);
            }
        }

        void timedOut() {
            if (!done) {
                finish();
                closeQuietly(channel);
                pending.failed(new SocketTimeoutException("connect timed out after " + timeoutMs + " ms"));
            }
        }

        private void finish() {
            done = true;
            if (timeout != null) {
                timeout.cancel();
            }
        }
    }

    @Override
    protected SocketChannelEndPoint newEndPoint(SocketChannel channel, ManagedSelector selector, SelectionKey key) {
        LoopEndPoint endPoint = new LoopEndPoint(channel, (LoopSelector) selector, key, getScheduler());
        endPoint.setIdleTimeout(getIdleTimeout());
        return endPoint;
    }

    @Override
    protected SelectorManager newSelectorManager(Executor executor, Scheduler scheduler, int selectors) {
        return new ServerConnectorManager(executor, scheduler, selectors) {
            private final List<LoopSelector> loops = new CopyOnWriteArrayList<>();

            @Override
            protected ManagedSelector newSelector(int id) {
                LoopSelector loop = new LoopSelector(this, id);
                loops.add(loop);
                return loop;
            }

            /**
             * Jetty hands a selector's own chores to the thread pool: setting up an accepted or connected endpoint
             * and tearing down a closed one, which on a connection per request is two hand-offs and a selector
             * wake-up each time. On a loop those chores are non-blocking, so they run at the loop's next turn
             * instead (not inline: a close can come from inside the connection's own callbacks). Anything else, and
             * anything while a loop stops, goes to the pool as before.
             */
            @Override
            public void execute(Runnable task) {
                if (SELECTOR_CHORES.contains(task.getClass().getName())) {
                    for (LoopSelector loop : loops) {
                        if (loop.isCurrentThread() && loop.isRunning()) {
                            loop.later(task);
                            return;
                        }
                    }
                }
                super.execute(task);
            }

            @Override
            protected ManagedSelector chooseSelector() {
                LoopSelector target = TARGET.get();
                return target != null ? target : super.chooseSelector();
            }

            @Override
            public Connection newConnection(SelectableChannel channel, EndPoint endPoint, Object attachment)
                    throws IOException {
                if (attachment instanceof Connecting connecting) {
                    ((LoopEndPoint) endPoint).upstream = true;
                    return connecting.connected(endPoint, ((LoopEndPoint) endPoint).loop);
                }
                return super.newConnection(channel, endPoint, attachment);
            }

            /**
             * Upstream endpoints are not the connector's clients: a graceful stop must not shorten their idle timeout
             * (that would cut a slow response short) nor count them.
             */
            @Override
            protected void endPointOpened(EndPoint endPoint) {
                if (!((LoopEndPoint) endPoint).upstream) {
                    super.endPointOpened(endPoint);
                }
            }

            @Override
            protected void endPointClosed(EndPoint endPoint) {
                if (!((LoopEndPoint) endPoint).upstream) {
                    super.endPointClosed(endPoint);
                }
            }

            @Override
            protected void connectionFailed(SelectableChannel channel, Throwable failure, Object attachment) {
                if (attachment instanceof Connecting connecting) {
                    connecting.pending.loop().run(() -> connecting.failed(failure));
                } else {
                    super.connectionFailed(channel, failure, attachment);
                }
            }
        };
    }

    /** A socket endpoint that knows its event loop. */
    static final class LoopEndPoint extends SocketChannelEndPoint {
        final LoopSelector loop;
        /** A connection to a backend, not a client's. */
        boolean upstream;

        LoopEndPoint(SocketChannel channel, LoopSelector loop, SelectionKey key, Scheduler scheduler) {
            super(channel, loop, key, scheduler);
            this.loop = loop;
        }
    }

    /**
     * One event loop: a Jetty selector, whose thread runs every (non-blocking) callback of the connections on it,
     * and the idle upstream connections opened on it. Confined to its thread, but for {@link #run}.
     */
    static final class LoopSelector extends ManagedSelector {
        final UpstreamPool pool;
        final InputBuffers inputs = new InputBuffers();
        final TurnWrites turnWrites = new TurnWrites(this::submit);
        /** The thread selecting now; with only non-blocking tasks Jetty keeps it the same thread. */
        private volatile Thread thread;

        LoopSelector(SelectorManager manager, int id) {
            super(manager, id);
            this.pool = new UpstreamPool(manager.getScheduler(), this);
        }

        @Override
        protected int nioSelect(Selector selector, boolean now) throws IOException {
            thread = Thread.currentThread();
            return super.nioSelect(selector, now);
        }

        /**
         * Runs {@code task} at this loop's next turn, even when called on it: for callers that may run on a thread
         * that just handed the selector to another (Jetty does that when it runs a blocking task, such as a TLS
         * handshake or a protocol detection), where {@link #run} could not tell.
         */
        void later(Runnable task) {
            submit(selector -> task.run());
        }

        boolean isCurrentThread() {
            return Thread.currentThread() == thread;
        }

        /** Runs {@code task} on this loop: now when called on it, else at its next turn (timeouts, shutdown). */
        void run(Runnable task) {
            if (isCurrentThread()) {
                task.run();
            } else {
                submit(selector -> task.run());
            }
        }
    }
}
