package io.zkgate.gateway.proxy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.eclipse.jetty.client.AbstractConnectionPool;
import org.eclipse.jetty.client.Destination;
import org.eclipse.jetty.client.HttpClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The upstream clients of routes that need their own (Jetty's connect timeout, TLS context and transport are per
 * client), one per distinct {@link UpstreamClientKey}. Each holds a selector and a connection pool, so when no route
 * uses a key any more its client is taken out of use and stopped once nothing is in flight on it; otherwise every
 * value an operator ever tried would keep its client until restart. Thread-safe.
 */
final class UpstreamClients {
    private static final Logger log = LoggerFactory.getLogger(UpstreamClients.class);
    /** How often a retired client is checked for requests still in flight before it is stopped. */
    private static final long RETIRE_CHECK_MS = 2_000;

    private final Map<UpstreamClientKey, HttpClient> byKey = new ConcurrentHashMap<>();
    private final Function<UpstreamClientKey, HttpClient> factory;
    private final AtomicInteger retiring = new AtomicInteger();

    UpstreamClients(Function<UpstreamClientKey, HttpClient> factory) {
        this.factory = factory;
    }

    HttpClient forKey(UpstreamClientKey key) {
        HttpClient client = byKey.get(key);
        return client != null ? client : byKey.computeIfAbsent(key, factory);
    }

    /** Clients not stopped yet: in use, or retired and still finishing requests. */
    int size() {
        return byKey.size() + retiring.get();
    }

    /** Retires the clients of keys not in {@code inUse}; called with each new snapshot. */
    void retainOnly(Set<UpstreamClientKey> inUse) {
        List<Map.Entry<UpstreamClientKey, HttpClient>> unused = new ArrayList<>();
        for (Map.Entry<UpstreamClientKey, HttpClient> e : byKey.entrySet()) {
            if (!inUse.contains(e.getKey())) {
                unused.add(e);
            }
        }
        for (Map.Entry<UpstreamClientKey, HttpClient> e : unused) {
            if (byKey.remove(e.getKey(), e.getValue())) {
                log.info("upstream client ({}) retired: no route uses it", e.getKey());
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
        for (HttpClient c : byKey.values()) {
            stop(c);
        }
        byKey.clear();
    }

    private static void stop(HttpClient client) {
        try {
            client.stop();
        } catch (Exception e) {
            log.debug("stopping an upstream client failed", e);
        }
    }
}
