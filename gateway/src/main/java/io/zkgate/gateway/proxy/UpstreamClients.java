package io.zkgate.gateway.proxy;

import io.zkgate.gateway.routing.RouteEntry;
import io.zkgate.gateway.routing.RouteIndex;
import io.zkgate.gateway.routing.Snapshot;
import io.zkgate.gateway.upstream.UpstreamTlsContexts;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
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
import org.eclipse.jetty.http2.client.HTTP2Client;
import org.eclipse.jetty.http2.client.transport.HttpClientTransportOverHTTP2;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.util.ssl.SslContextFactory;
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
    private final long defaultConnectTimeoutMs;
    /** What the servlet's own client is configured by; it is not among these. */
    private final UpstreamClientKey plainKey;

    /**
     * @param factory                 makes the client for a key, on first use
     * @param defaultConnectTimeoutMs the gateway's upstream connect timeout, for routes that set none
     */
    UpstreamClients(Function<UpstreamClientKey, HttpClient> factory, long defaultConnectTimeoutMs) {
        this.factory = factory;
        this.defaultConnectTimeoutMs = defaultConnectTimeoutMs;
        this.plainKey = UpstreamClientKey.plain(defaultConnectTimeoutMs);
    }

    /**
     * What {@code route}'s client is configured by. Most routes use the servlet's own client: they are told by the
     * route's fields, without making a key per request.
     */
    UpstreamClientKey keyFor(RouteEntry route) {
        return route == null || !RouteIndex.OWN_UPSTREAM_CLIENT.holds(route) ? plainKey
                : UpstreamClientKey.of(route, defaultConnectTimeoutMs);
    }

    /** Whether {@code key} is the servlet's own client's. */
    boolean isPlain(UpstreamClientKey key) {
        return key.equals(plainKey);
    }

    HttpClient forKey(UpstreamClientKey key) {
        HttpClient client = byKey.get(key);
        return client != null ? client : byKey.computeIfAbsent(key, factory);
    }

    /** Clients not stopped yet: in use, or retired and still finishing requests. */
    int size() {
        return byKey.size() + retiring.get();
    }

    /** Retires the clients no route of {@code snapshot} needs any more; called with each new snapshot. */
    void retainFor(Snapshot snapshot) {
        Set<UpstreamClientKey> inUse = new HashSet<>();
        for (String id : snapshot.routes().ids(RouteIndex.OWN_UPSTREAM_CLIENT)) {
            inUse.add(UpstreamClientKey.of(snapshot.routes().entry(id), defaultConnectTimeoutMs));
        }

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

    /** A connector with {@code key}'s TLS context: the route's {@code upstream.tls}. */
    static ClientConnector tlsConnector(UpstreamClientKey key) {
        SslContextFactory.Client tls;
        try {
            tls = UpstreamTlsContexts.newClientContext(key.tls());
        } catch (IOException e) {
            throw new IllegalStateException("route upstream TLS unusable: " + e.getMessage(), e);
        }
        ClientConnector connector = new ClientConnector();
        connector.setSslContextFactory(tls);
        return connector;
    }

    /** Jetty's HTTP/2 client transport: prior knowledge for h2c, ALPN over TLS for h2. */
    static HttpClient http2Client(ClientConnector connector) {
        return new UpstreamHttpClient(new HttpClientTransportOverHTTP2(new HTTP2Client(connector)));
    }

    private static void stop(HttpClient client) {
        try {
            client.stop();
        } catch (Exception e) {
            log.debug("stopping an upstream client failed", e);
        }
    }
}
