package io.zkgate.agent;

import static java.util.Objects.requireNonNull;

import java.io.Closeable;
import java.time.Duration;
import java.util.Map;
import org.apache.curator.framework.CuratorFramework;

/**
 * One instance registered on a client the caller owns, kept registered by a {@link RegistryAgent} (re-created after
 * session loss or deletion), with no health check, no drain period and no shutdown hook. Thread-safe.
 */
public final class ServiceRegistration implements Closeable {
    private final RegistryAgent agent;

    private ServiceRegistration(RegistryAgent agent) {
        this.agent = agent;
    }

    /**
     * Registers the instance now; returns once the znode is written.
     *
     * @throws IllegalStateException when it was not written within the client's connection timeout
     */
    public static ServiceRegistration register(CuratorFramework client, String servicesRoot, String service,
            String id, String address, int port, int weight, Map<String, String> metadata) throws Exception {
        requireNonNull(client, "client");
        RegistryAgent agent = RegistryAgent.builder()
                .client(client)
                .servicesRoot(servicesRoot)
                .service(service)
                .id(id)
                .address(address)
                .port(port)
                .weight(weight)
                .metadata(metadata == null ? Map.of() : metadata)
                .drainPeriod(Duration.ZERO)
                .shutdownHook(false)
                .build()
                .start();
        Duration wait = Duration.ofMillis(Math.max(1000, client.getZookeeperClient().getConnectionTimeoutMs()));
        if (!agent.awaitRegistered(wait)) {
            agent.close();
            throw new IllegalStateException(agent.path() + ": not registered within " + wait.toMillis() + " ms");
        }
        return new ServiceRegistration(agent);
    }

    public String service() {
        return agent.service();
    }

    public String id() {
        return agent.id();
    }

    /** How often the znode was re-created after being lost (session expiry, deletion). */
    public long reRegistrations() {
        return agent.reRegistrations();
    }

    /** Unregisters the instance (deletes its znode) and stops re-registering it. */
    @Override
    public void close() {
        agent.close();
    }
}
