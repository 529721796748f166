package io.zkgate.gateway.loop;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Idle keep-alive connections to backends, of one event loop, by {@code host:port}; most recently used first, so
 * a few connections stay warm and the rest time out. Confined to its event loop's thread.
 */
final class UpstreamPool {
    private final Map<String, ArrayDeque<UpstreamConnection>> idle = new HashMap<>();

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

    void offer(UpstreamConnection c, int maxIdle) {
        ArrayDeque<UpstreamConnection> q = idle.computeIfAbsent(c.address(), a -> new ArrayDeque<>());
        if (q.size() >= maxIdle) {
            c.close();
            return;
        }
        q.offerFirst(c);
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
