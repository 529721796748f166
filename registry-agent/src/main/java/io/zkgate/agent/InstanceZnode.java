package io.zkgate.agent;

import java.util.Map;
import org.apache.curator.x.discovery.ServiceInstance;
import org.apache.curator.x.discovery.ServiceType;

/**
 * The instance's znode: where it lives and what is written into it (curator-x-discovery JSON with a Spring Cloud
 * Zookeeper payload, see {@link InstanceJsonSerializer}). Immutable.
 *
 * @param registrationTimeUtc written as {@code registrationTimeUTC}; the same in every re-registration
 */
record InstanceZnode(String service, String id, String address, int port, Map<String, String> metadata,
        String path, long registrationTimeUtc) {
    InstanceZnode {
        metadata = Map.copyOf(metadata);
    }

    /** How the agent names the instance in its log lines: {@code service/id}. */
    String name() {
        return service + "/" + id;
    }

    byte[] data(int weight) {
        return new InstanceJsonSerializer().serialize(new ServiceInstance<>(service, id, address, port, null,
                new InstancePayload(weight, metadata), registrationTimeUtc, ServiceType.DYNAMIC, null, true));
    }
}
