package io.zkgate.gateway.balancer;

import static java.util.Objects.requireNonNull;

import io.zkgate.schema.ServiceInstance;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A backend as the request path sees it: address, weight and a live in-flight count. Endpoints are frozen into
 * snapshots; a rebuilt snapshot reuses the in-flight counter of the same backend, so counts survive rebuilds.
 * Equality is identity: the backend metrics are keyed on the endpoint objects a snapshot holds. Thread-safe: fields
 * are final, the counter is atomic.
 */
public final class Endpoint implements Comparable<Endpoint> {
    private final String service;
    private final String id;
    private final String host;
    private final int port;
    private final int weight;
    /** The registered TLS port, 0 for none: routes with upstream TLS use it, else {@link #port}. */
    private final int sslPort;
    private final String baseUri;
    private final String tlsBaseUri;
    /** {@code host:port}, the host in brackets when it is an IPv6 literal: what a Host header names. */
    private final String authority;
    /** {@code host:tlsPort}, bracketed like {@link #authority}. */
    private final String tlsAuthority;
    /** Requests sent to this backend and not yet completed; one increment and one decrement per request. */
    private final AtomicInteger inFlight;
    /** Passive and active health, shared like the in-flight count. */
    private final BackendHealth health;

    public Endpoint(String service, String id, String host, int port, int weight) {
        this(service, id, host, port, weight, 0);
    }

    public Endpoint(String service, String id, String host, int port, int weight, int sslPort) {
        this(service, id, host, port, weight, sslPort, new AtomicInteger(), new BackendHealth());
    }

    private Endpoint(String service, String id, String host, int port, int weight, int sslPort,
            AtomicInteger inFlight, BackendHealth health) {
        this.service = requireNonNull(service, "service");
        this.id = requireNonNull(id, "id");
        this.host = requireNonNull(host, "host");
        if (weight < 0) {
            throw new IllegalArgumentException("weight: " + weight + " (expected: >= 0)");
        }
        this.port = port;
        this.weight = weight;
        this.sslPort = sslPort;
        this.authority = ServiceInstance.authority(host, port);
        this.baseUri = "http://" + authority;
        this.tlsAuthority = ServiceInstance.authority(host, tlsPort());
        this.tlsBaseUri = "https://" + tlsAuthority;
        this.inFlight = inFlight;
        this.health = health;
    }

    /** The same backend with another weight, sharing this one's in-flight counter. */
    public Endpoint withWeight(int newWeight) {
        return new Endpoint(service, id, host, port, newWeight, sslPort, inFlight, health);
    }

    public String service() {
        return service;
    }

    public String id() {
        return id;
    }

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    /** The port TLS routes connect to: the registered {@code sslPort}, else the plain port. */
    public int tlsPort() {
        return sslPort > 0 ? sslPort : port;
    }

    /** {@code https://host:tlsPort}, for routes with upstream TLS. */
    public String tlsBaseUri() {
        return tlsBaseUri;
    }

    public int weight() {
        return weight;
    }

    /** {@code host:port} ({@code [v6]:port}), precomputed for the request path's Host header and pool key. */
    public String authority() {
        return authority;
    }

    /** {@code host:tlsPort} ({@code [v6]:tlsPort}): what routes with upstream TLS connect to. */
    public String tlsAuthority() {
        return tlsAuthority;
    }

    /** {@code http://host:port}, precomputed so the request path only appends the path. */
    public String baseUri() {
        return baseUri;
    }

    public BackendHealth health() {
        return health;
    }

    public int inFlight() {
        return inFlight.get();
    }

    public void acquire() {
        inFlight.incrementAndGet();
    }

    public void release() {
        inFlight.decrementAndGet();
    }

    /** Whether {@code other} is the same backend: service, id, host and ports. */
    public boolean sameBackend(Endpoint other) {
        return sameBackend(other.service, other.id, other.host, other.port, other.sslPort);
    }

    /** Whether this is the backend with that service, id, host and ports. */
    public boolean sameBackend(String service, String id, String host, int port, int sslPort) {
        return this.service.equals(service) && this.id.equals(id) && this.host.equals(host) && this.port == port
                && this.sslPort == sslPort;
    }

    /** Orders by id, then address: round-robin order and hash rings are deterministic for a given set. */
    @Override
    public int compareTo(Endpoint o) {
        int c = id.compareTo(o.id);
        if (c != 0) {
            return c;
        }
        c = host.compareTo(o.host);
        return c != 0 ? c : Integer.compare(port, o.port);
    }

    @Override
    public String toString() {
        return service + "/" + id + "@" + authority + (weight == 1 ? "" : " w" + weight);
    }
}
