package io.zkgate.agent;

import java.util.Map;

/**
 * The payload zkgate writes into a curator-x-discovery {@code ServiceInstance}: a weight and string metadata, stored
 * the way Spring Cloud Zookeeper stores its payload ({@code metadata.weight} as a string). Immutable.
 *
 * @param weight   relative share of traffic, 0 for drained
 * @param metadata string metadata, without the weight
 */
public record InstancePayload(int weight, Map<String, String> metadata) {
    public InstancePayload {
        metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
    }
}
