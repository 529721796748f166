package io.zkgate.gateway.balancer;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Plain round-robin over a sorted endpoint array with one atomic counter. The counter wraps past Integer.MAX_VALUE;
 * {@code Math.floorMod} keeps the index in range (where the size does not divide 2^32 one endpoint gets two picks in
 * a row at the wrap, once every four billion requests). Thread-safe, lock-free.
 */
final class RoundRobin implements Balancer {
    private final Endpoint[] endpoints;
    private final AtomicInteger next;

    RoundRobin(Endpoint[] endpoints) {
        this(endpoints, 0);
    }

    /** Starts the counter at {@code start}: random in production, chosen by tests (e.g. to cross the wrap-around). */
    RoundRobin(Endpoint[] endpoints, int start) {
        this.endpoints = endpoints;
        this.next = new AtomicInteger(start);
    }

    @Override
    public Endpoint pick(String key) {
        Endpoint[] e = endpoints;
        if (e.length == 0) {
            return null;
        }
        return e[Math.floorMod(next.getAndIncrement(), e.length)];
    }

    @Override
    public Endpoint[] endpoints() {
        return endpoints;
    }
}
