package io.zkgate.agent;

import static java.util.Objects.requireNonNull;

import io.zkgate.schema.ZnodeLayout;
import java.io.Closeable;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.nodes.PersistentNode;

/**
 * Keeps one service instance registered in ZooKeeper as the ephemeral znode {@code <servicesRoot>/<service>/<id>}
 * (curator-x-discovery format with a Spring Cloud Zookeeper payload, see {@link InstanceJsonSerializer}).
 *
 * <p>The znode is a Curator {@link PersistentNode} in EPHEMERAL mode, which re-creates it after session expiry,
 * after a server or ensemble restart and after someone deletes it; a node left by this agent's previous session is
 * overwritten and re-created once that session ends. An optional {@link HealthCheck} withdraws the instance after
 * {@code healthFailures} consecutive failures and registers it again after {@code healthSuccesses} passes.
 * {@link #drain()} writes weight 0, waits the drain period, then unregisters; {@link #close()} unregisters at once.
 *
 * <p>The parts: {@link Registration} is the state machine, {@link SessionRecovery} the recovery from session loss,
 * {@link HealthWatch} the health checking, {@link Drain} the drain; this class builds them and joins them up.
 *
 * <p>Thread-safe: lifecycle and registration changes happen under one lock; health checks run on one thread.
 */
public final class RegistryAgent implements Closeable {
    /** Where the agent is in its life. */
    public enum State {
        /** Built, not started. */
        LATENT,
        /** Started with a health check that has not passed yet; not registered. */
        PENDING,
        /** Meant to be registered: the znode is (re-)created whenever it is missing. */
        REGISTERED,
        /** Withdrawn because the health check failed; registers again when it passes. */
        UNHEALTHY,
        /** Registered with weight 0, waiting the drain period before unregistering. */
        DRAINING,
        /** Unregistered for good. */
        CLOSED
    }

    public static final Duration DEFAULT_HEALTH_INTERVAL = Duration.ofSeconds(1);
    public static final Duration DEFAULT_HEALTH_TIMEOUT = Duration.ofSeconds(1);
    public static final int DEFAULT_HEALTH_FAILURES = 3;
    public static final int DEFAULT_HEALTH_SUCCESSES = 2;
    public static final Duration DEFAULT_DRAIN_PERIOD = Duration.ofSeconds(5);
    public static final Duration DEFAULT_SESSION_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_CONNECTION_TIMEOUT = Duration.ofSeconds(5);

    private final CuratorFramework client;
    private final InstanceZnode znode;
    private final Registration registration;
    private final HealthWatch health;
    private final Drain drain;
    private final boolean shutdownHook;

    private RegistryAgent(AgentOptions o) {
        String id = o.id() != null ? o.id() : UUID.randomUUID().toString();
        String address = o.address() != null ? o.address() : HostAddress.nonLoopback();
        String path = new ZnodeLayout(ZnodeLayout.DEFAULT_ZKGATE_ROOT, o.servicesRoot()).instancePath(o.service(), id);
        this.znode = new InstanceZnode(o.service(), id, address, o.port(), o.metadata(), path,
                System.currentTimeMillis());
        this.shutdownHook = o.shutdownHook();
        if (o.client() != null) {
            this.client = o.client();
            this.registration = new Registration(client, false,
                    client.getZookeeperClient().getCurrentConnectionString(),
                    client.getZookeeperClient().getConnectionTimeoutMs(), znode, o.weight());
        } else {
            this.client = o.newClient(path);
            this.registration = new Registration(client, true, o.connectString(), o.connectionTimeout().toMillis(),
                    znode, o.weight());
        }
        // Check where the gateways will connect: a loopback health URL would pass for a service they cannot reach.
        HealthCheck check = o.healthCheck() != null ? o.healthCheck() : o.healthUrl() != null
                ? HealthCheck.http(RegisteredAddress.healthUrlFor(o.healthUrl(), address), o.healthTimeout()) : null;
        this.health = check == null ? null : new HealthWatch(registration, check, o.healthInterval().toMillis(),
                o.healthFailures(), o.healthSuccesses(), znode.name());
        this.drain = new Drain(registration, znode, o.drainPeriod().toMillis());
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Connects (when the agent owns its client) and registers the instance, or, with a health check, starts checking
     * and registers after the first pass. Returns at once; ZooKeeper being unreachable is retried, not an error.
     */
    public RegistryAgent start() {
        registration.start(health, shutdownHook ? this::drain : null);
        return this;
    }

    /**
     * Drains: writes weight 0 so gateways send no new requests, waits the drain period for requests in flight, then
     * unregisters and closes. Returns when closed. Without a registered node there is nothing to drain and it closes
     * at once; {@link #close()} from another thread cuts the wait short.
     */
    public void drain() {
        drain.run();
    }

    /** Unregisters at once (deletes the znode) and stops; closes the ZooKeeper client if the agent created it. */
    @Override
    public void close() {
        registration.close();
    }

    /**
     * Waits until the instance's znode has been written once since it was last (re-)registered; false on timeout,
     * or when it is not meant to be registered (pending or failing health check, closed).
     */
    public boolean awaitRegistered(Duration timeout) throws InterruptedException {
        return registration.awaitRegistered(timeout);
    }

    public State state() {
        return registration.state();
    }

    public String service() {
        return znode.service();
    }

    public String id() {
        return znode.id();
    }

    public String address() {
        return znode.address();
    }

    public int port() {
        return znode.port();
    }

    /** The instance's znode path. */
    public String path() {
        return znode.path();
    }

    /** How often the znode was re-created after being lost (session expiry, server restart, deletion). */
    public long reRegistrations() {
        return registration.reRegistrations();
    }

    /** How often the health check changed the registration (first registration, withdrawal, return). */
    public long healthTransitions() {
        return registration.healthTransitions();
    }

    /** The current ZooKeeper session id, 0 when not connected. For tests. */
    long sessionId() throws Exception {
        return client.getZookeeperClient().getZooKeeper().getSessionId();
    }

    /** The client the agent registers through. For tests. */
    CuratorFramework client() {
        return client;
    }

    /** Builds a {@link RegistryAgent}; service, port and a connect string or client are required. Not thread-safe. */
    public static final class Builder {
        private String connectString;
        private CuratorFramework client;
        private String servicesRoot = ZnodeLayout.DEFAULT_SERVICES_ROOT;
        private String service;
        private String id;
        private String address;
        private int port;
        private int weight = io.zkgate.schema.ServiceInstance.DEFAULT_WEIGHT;
        private final Map<String, String> metadata = new LinkedHashMap<>();
        private HealthCheck healthCheck;
        private URI healthUrl;
        private Duration healthInterval = DEFAULT_HEALTH_INTERVAL;
        private Duration healthTimeout = DEFAULT_HEALTH_TIMEOUT;
        private int healthFailures = DEFAULT_HEALTH_FAILURES;
        private int healthSuccesses = DEFAULT_HEALTH_SUCCESSES;
        private Duration drainPeriod = DEFAULT_DRAIN_PERIOD;
        private Duration sessionTimeout = DEFAULT_SESSION_TIMEOUT;
        private Duration connectionTimeout = DEFAULT_CONNECTION_TIMEOUT;
        private String zkAuth;
        private boolean shutdownHook = true;

        private Builder() {}

        /** ZooKeeper to connect to; the agent creates, starts and closes its own client. */
        public Builder connectString(String connectString) {
            this.connectString = requireNonNull(connectString, "connectString");
            return this;
        }

        /** A client the caller has started and will close; session and auth settings are then the caller's. */
        public Builder client(CuratorFramework client) {
            this.client = requireNonNull(client, "client");
            return this;
        }

        public Builder servicesRoot(String servicesRoot) {
            this.servicesRoot = requireNonNull(servicesRoot, "servicesRoot");
            return this;
        }

        public Builder service(String service) {
            this.service = requireNonNull(service, "service");
            return this;
        }

        /** Default: a random UUID, kept for the life of the agent. */
        public Builder id(String id) {
            this.id = requireNonNull(id, "id");
            return this;
        }

        /** Default: this host's first non-loopback address. */
        public Builder address(String address) {
            this.address = requireNonNull(address, "address");
            return this;
        }

        public Builder port(int port) {
            this.port = port;
            return this;
        }

        public Builder weight(int weight) {
            this.weight = weight;
            return this;
        }

        public Builder metadata(String key, String value) {
            metadata.put(requireNonNull(key, "key"), requireNonNull(value, "value"));
            return this;
        }

        public Builder metadata(Map<String, String> entries) {
            requireNonNull(entries, "entries").forEach(this::metadata);
            return this;
        }

        /**
         * Polls {@code url} with GET (2xx is healthy), each attempt bounded by the health timeout. A URL on loopback
         * ({@code localhost}, {@code 127.0.0.1}) is polled on the registered address instead, where gateways connect.
         */
        public Builder healthUrl(URI url) {
            this.healthUrl = requireNonNull(url, "url");
            this.healthCheck = null;
            return this;
        }

        public Builder healthCheck(HealthCheck check) {
            this.healthCheck = requireNonNull(check, "check");
            this.healthUrl = null;
            return this;
        }

        public Builder healthInterval(Duration interval) {
            this.healthInterval = requireNonNull(interval, "interval");
            return this;
        }

        public Builder healthTimeout(Duration timeout) {
            this.healthTimeout = requireNonNull(timeout, "timeout");
            return this;
        }

        /** Consecutive failed checks after which the instance is unregistered. */
        public Builder healthFailures(int failures) {
            this.healthFailures = failures;
            return this;
        }

        /** Consecutive passing checks after which an unhealthy instance is registered again. */
        public Builder healthSuccesses(int successes) {
            this.healthSuccesses = successes;
            return this;
        }

        public Builder drainPeriod(Duration drainPeriod) {
            this.drainPeriod = requireNonNull(drainPeriod, "drainPeriod");
            return this;
        }

        public Builder sessionTimeout(Duration sessionTimeout) {
            this.sessionTimeout = requireNonNull(sessionTimeout, "sessionTimeout");
            return this;
        }

        public Builder connectionTimeout(Duration connectionTimeout) {
            this.connectionTimeout = requireNonNull(connectionTimeout, "connectionTimeout");
            return this;
        }

        /** {@code user:password} for digest authentication of the agent's own client. */
        public Builder zkAuth(String userPassword) {
            this.zkAuth = requireNonNull(userPassword, "userPassword");
            return this;
        }

        /** Whether a JVM shutdown hook drains the agent; default true. */
        public Builder shutdownHook(boolean shutdownHook) {
            this.shutdownHook = shutdownHook;
            return this;
        }

        public RegistryAgent build() {
            return new RegistryAgent(new AgentOptions(connectString, client, servicesRoot, service, id, address, port,
                    weight, metadata, healthCheck, healthUrl, healthInterval, healthTimeout, healthFailures,
                    healthSuccesses, drainPeriod, sessionTimeout, connectionTimeout, zkAuth, shutdownHook));
        }
    }
}
