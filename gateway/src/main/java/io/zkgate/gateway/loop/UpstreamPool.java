package io.zkgate.gateway.loop;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import io.zkgate.gateway.loop.LoopConnector.LoopSelector;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * Idle keep-alive connections to backends, of one event loop, by {@code host:port}; most recently used first, so
 * a few connections stay warm and the rest time out. The pool closes the connections idle past the upstream idle
 * timeout itself, in a sweep that runs while it holds any: a connection's own idle timer keeps the route's response
 * timeout, so taking a connection and giving it back does not reschedule a timer each time. Confined to its event
 * loop's thread.
 */
final class UpstreamPool {
    private final Map<String, ArrayDeque<UpstreamConnection>> idle = new HashMap<>();
    private final Scheduler scheduler;
    private final LoopSelector loop;
    private long idleTimeoutMs;
    private boolean sweepScheduled;

    UpstreamPool(Scheduler scheduler, LoopSelector loop) {
        this.scheduler = scheduler;
        this.loop = loop;
    }

    /** An idle, open connection to {@code address}, or null. */
    UpstreamConnection take(String address) {
        ArrayDeque<UpstreamConnection> q = idle.get(address);
        if (q == null) {
            return null;
        }
        UpstreamConnection c;
        while ((c = q.pollFirst()) != null) {
            if (c.getEndPoint().isOpen()) {
                return c;
            }
        }
        return null;
    }

    /** Keeps {@code c} for reuse, to be closed once idle for {@code idleTimeoutMs}, unless its backend has enough. */
    void offer(UpstreamConnection c, int maxIdle, long idleTimeoutMs) {
        ArrayDeque<UpstreamConnection> q = idle.computeIfAbsent(c.address(), a -> new ArrayDeque<>());
        if (q.size() >= maxIdle) {
            c.close();
            return;
        }
        q.offerFirst(c);
        this.idleTimeoutMs = idleTimeoutMs;
        if (!sweepScheduled) {
            scheduleSweep();
        }
    }

    /** A tenth of the idle timeout, at most a second: a connection is closed at most that late. */
    private void scheduleSweep() {
        sweepScheduled = true;
        long every = Math.max(10, Math.min(1_000, idleTimeoutMs / 10));
        scheduler.schedule(() -> loop.run(this::sweep), every, TimeUnit.MILLISECONDS);
    }

    /**
     * Closes the connections idle for the idle timeout (the oldest sit last in each queue), and forgets the backends
     * left with none, so a departed backend's address is not kept for the loop's life.
     */
    private void sweep() {
        sweepScheduled = false;
        for (Iterator<ArrayDeque<UpstreamConnection>> queues = idle.values().iterator(); queues.hasNext(); ) {
            ArrayDeque<UpstreamConnection> q = queues.next();
            UpstreamConnection oldest;
            while ((oldest = q.peekLast()) != null && oldest.idleForMs() >= idleTimeoutMs) {
                q.pollLast();
                oldest.close();
            }
            if (q.isEmpty()) {
                queues.remove();
            }
        }
        if (!idle.isEmpty()) {
            scheduleSweep();
        }
    }

    void remove(UpstreamConnection c) {
        ArrayDeque<UpstreamConnection> q = idle.get(c.address());
        if (q != null) {
            q.remove(c);
        }
    }

    /** Idle connections now, all backends. */
    int size() {
        int n = 0;
        for (ArrayDeque<UpstreamConnection> q : idle.values()) {
            n += q.size();
        }
        return n;
    }
}
