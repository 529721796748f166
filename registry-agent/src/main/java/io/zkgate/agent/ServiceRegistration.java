package io.zkgate.agent;

import static java.util.Objects.requireNonNull;

import java.io.Closeable;
import java.util.Map;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.x.discovery.ServiceDiscovery;
import org.apache.curator.x.discovery.ServiceDiscoveryBuilder;
import org.apache.curator.x.discovery.ServiceInstance;
import org.apache.curator.x.discovery.ServiceType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One instance registered through curator-x-discovery's {@link ServiceDiscovery}, which writes the ephemeral znode
 * {@code <servicesRoot>/<name>/<id>} and re-registers it when the session reconnects. The caller owns the
 * {@link CuratorFramework}. Thread-safe.
 */
public final class ServiceRegistration implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(ServiceRegistration.class);

    private final ServiceDiscovery<InstancePayload> discovery;
    private final ServiceInstance<InstancePayload> instance;

    private ServiceRegistration(ServiceDiscovery<InstancePayload> discovery, ServiceInstance<InstancePayload> instance) {
        this.discovery = discovery;
        this.instance = instance;
    }

    /** Registers the instance now; returns once the znode is written. */
    public static ServiceRegistration register(CuratorFramework client, String servicesRoot, String service,
            String id, String address, int port, int weight, Map<String, String> metadata) throws Exception {
        requireNonNull(client, "client");
        ServiceInstance<InstancePayload> instance = new ServiceInstance<>(service, id, address, port, null,
                new InstancePayload(weight, metadata), System.currentTimeMillis(), ServiceType.DYNAMIC, null, true);
        ServiceDiscovery<InstancePayload> discovery = ServiceDiscoveryBuilder.builder(InstancePayload.class)
                .client(client)
                .basePath(servicesRoot)
                .serializer(new InstanceJsonSerializer())
                .thisInstance(instance)
                .build();
        discovery.start();
        log.info("registered {}/{}/{} at {}:{} weight {}", servicesRoot, service, id, address, port, weight);
        return new ServiceRegistration(discovery, instance);
    }

    public String service() {
        return instance.getName();
    }

    public String id() {
        return instance.getId();
    }

    /** Unregisters the instance (deletes its znode) and stops re-registering it. */
    @Override
    public void close() {
        try {
            discovery.close();
            log.info("unregistered {}/{}", instance.getName(), instance.getId());
        } catch (Exception e) {
            log.warn("unregistering {}/{} failed: {}", instance.getName(), instance.getId(), e.toString());
        }
    }
}
