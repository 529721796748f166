package io.zkgate.gateway.proxy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongFunction;
import org.eclipse.jetty.client.AbstractConnectionPool;
import org.eclipse.jetty.client.Destination;
import org.eclipse.jetty.client.HttpClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The upstream clients of routes with their own connect timeout (Jetty's connect timeout is per client), one per
 * distinct timeout. Each holds a selector and a connection pool, so when no route uses a timeout any more its client
 * is taken out of use and stopped once nothing is in flight on it; otherwise every value an operator ever tried
 * would keep its client until restart. Thread-safe.
 */
final class UpstreamClients {
    private static final Logger log = LoggerFactory.getLogger(UpstreamClients.class);
    /** How often a retired client is checked for requests still in flight before it is stopped. */
    private static final long RETIRE_CHECK_MS = 2_000;

    private final Map<Long, HttpClient> byConnectTimeout = new ConcurrentHashMap<>();
    private final LongFunction<HttpClient> factory;
    private final AtomicInteger retiring = new AtomicInteger();

    UpstreamClients(LongFunction<HttpClient> factory) {
        this.factory = factory;
    }

    HttpClient forConnectTimeout(long connectMs) {
        HttpClient client = byConnectTimeout.get(connectMs);
        return client != null ? client : byConnectTimeout.computeIfAbsent(connectMs, factory::apply);
    }

    /** Clients not stopped yet: in use, or retired and still finishing requests. */
    int size() {
        return byConnectTimeout.size() + retiring.get();
    }

    /** Retires the clients of connect timeouts not in {@code inUse}; called with each new snapshot. */
    void retainOnly(Set<Long> inUse) {
        List<Map.Entry<Long, HttpClient>> unused = new ArrayList<>();
        for (Map.Entry<Long, HttpClient> e : byConnectTimeout.entrySet()) {
            if (!inUse.contains(e.getKey())) {
                unused.add(e);
            }
        }
        for (Map.Entry<Long, HttpClient> e : unused) {
            if (byConnectTimeout.remove(e.getKey(), e.getValue())) {
                log.info("upstream client for connect timeout {} ms retired: no route uses it", e.getKey());
                retiring.incrementAndGet();
                stopWhenIdle(e.getValue());
            }
        }
    }

    private void stopWhenIdle(HttpClient client) {
        client.getScheduler().schedule(() -> {
            if (busy(client)) {
                stopWhenIdle(client);
            } else {
                stop(client);
                retiring.decrementAndGet();
            }
        }, RETIRE_CHECK_MS, TimeUnit.MILLISECONDS);
    }

    private static boolean busy(HttpClient client) {
        for (Destination d : client.getDestinations()) {
            if (d.getConnectionPool() instanceof AbstractConnectionPool pool
                    && (pool.getActiveConnectionCount() > 0 || pool.getPendingConnectionCount() > 0)) {
                return true;
            }
        }
        return false;
    }

    void stopAll() {
        for (HttpClient c : byConnectTimeout.values()) {
            stop(c);
        }
        byConnectTimeout.clear();
    }

    private static void stop(HttpClient client) {
        try {
            client.stop();
        } catch (Exception e) {
            log.debug("stopping an upstream client failed", e);
        }
    }
}
