package io.zkgate.gateway.balancer;

import java.util.concurrent.atomic.AtomicInteger;

/** Plain round-robin over a sorted endpoint array with one atomic counter. Thread-safe, lock-free. */
final class RoundRobin implements Balancer {
    private final Endpoint[] endpoints;
    private final AtomicInteger next = new AtomicInteger();

    RoundRobin(Endpoint[] endpoints) {
        this.endpoints = endpoints;
    }

    /** For tests: start the counter at {@code start} to exercise wrap-around. */
    RoundRobin(Endpoint[] endpoints, int start) {
        this(endpoints);
        next.set(start);
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
