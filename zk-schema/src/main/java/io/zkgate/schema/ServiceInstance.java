package io.zkgate.schema;

import static java.util.Objects.requireNonNull;

import java.util.Map;

/**
 * A registered backend, as read from a curator-x-discovery {@code ServiceInstance} znode.
 *
 * @param name                service name
 * @param id                  instance id, unique within the service
 * @param address             host name or IP address to connect to
 * @param port                plain HTTP port
 * @param weight              relative share of traffic, 0 for drained (see {@link ServiceInstanceCodec} for the rules)
 * @param enabled             curator-x-discovery's {@code enabled} flag; a disabled instance is not routed to
 * @param registrationTimeUtc epoch milliseconds of registration, 0 if unknown
 * @param metadata            string metadata from the payload (Spring Cloud Zookeeper's {@code payload.metadata}),
 *                            without {@code weight}, which is {@link #weight()}
 * @param sslPort             curator-x-discovery's TLS port, used by routes with {@code upstream.tls}; 0 for none
 */
public record ServiceInstance(
        String name,
        String id,
        String address,
        int port,
        int weight,
        boolean enabled,
        long registrationTimeUtc,
        Map<String, String> metadata,
        int sslPort) {

    public static final int MAX_WEIGHT = 10_000;
    public static final int DEFAULT_WEIGHT = 1;

    public ServiceInstance {
        requireNonNull(name, "name");
        requireNonNull(id, "id");
        requireNonNull(address, "address");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port: " + port + " (expected: 1-65535)");
        }
        if (weight < 0 || weight > MAX_WEIGHT) {
            throw new IllegalArgumentException("weight: " + weight + " (expected: 0-" + MAX_WEIGHT + ")");
        }
        metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
        if (sslPort < 0 || sslPort > 65535) {
            throw new IllegalArgumentException("sslPort: " + sslPort + " (expected: 0 for none, or 1-65535)");
        }
    }

    /** An instance without a TLS port. */
    public ServiceInstance(String name, String id, String address, int port, int weight, boolean enabled,
            long registrationTimeUtc, Map<String, String> metadata) {
        this(name, id, address, port, weight, enabled, registrationTimeUtc, metadata, 0);
    }

    /** The same instance served on another plain port (the TLS port kept). */
    public ServiceInstance withPort(int newPort) {
        return new ServiceInstance(name, id, address, newPort, weight, enabled, registrationTimeUtc, metadata, sslPort);
    }

    /** {@code address:port}, the address in brackets when it is an IPv6 literal. */
    public String authority() {
        return authority(address, port);
    }

    /** {@code host:port} as a URI or a Host header names it: an IPv6 literal in brackets. */
    public static String authority(String host, int port) {
        return uriHost(host) + ":" + port;
    }

    /** {@code host} as a URI names it: an IPv6 literal in brackets (once), anything else as it is. */
    public static String uriHost(String host) {
        return host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host;
    }

    /** Whether the gateway may send new requests to this instance. */
    public boolean routable() {
        return enabled && weight > 0;
    }
}
