package io.zkgate.agent;

import static java.util.Objects.requireNonNull;

import io.zkgate.schema.ZnodeLayout;
import java.io.Closeable;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.api.ACLProvider;
import org.apache.curator.framework.recipes.nodes.PersistentNode;
import org.apache.curator.framework.recipes.nodes.PersistentNodeListener;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.framework.state.ConnectionStateListener;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.curator.x.discovery.ServiceInstance;
import org.apache.curator.x.discovery.ServiceType;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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

    private static final Logger log = LoggerFactory.getLogger(RegistryAgent.class);

    private final CuratorFramework client;
    private final boolean ownsClient;
    private final String connectString;
    private final String service;
    private final String id;
    private final String address;
    private final int port;
    private final int weight;
    private final Map<String, String> metadata;
    private final String path;
    private final HealthCheck healthCheck;
    private final long healthIntervalMs;
    private final int healthFailures;
    private final int healthSuccesses;
    private final long drainPeriodMs;
    private final long connectionTimeoutMs;
    private final boolean shutdownHook;
    private final long registrationTimeUtc = System.currentTimeMillis();
    private final String name;

    private final AtomicLong reRegistrations = new AtomicLong();
    private final AtomicLong healthTransitions = new AtomicLong();
    private final CountDownLatch closed = new CountDownLatch(1);
    private final CountDownLatch drainCut = new CountDownLatch(1);
    private final ConnectionStateListener connectionListener = this::connectionChanged;

    private final Object lock = new Object();
    // All fields below are guarded by lock.
    private State state = State.LATENT;
    private PersistentNode node;
    private boolean nodeStarted;
    private int currentWeight;
    private ScheduledExecutorService scheduler;
    private Thread hook;
    private boolean everConnected;
    // Written and read only on the health thread.
    private int consecutiveFailures;
    private int consecutiveSuccesses;
    private boolean pendingFailureLogged;

    private RegistryAgent(Builder b) {
        this.service = b.service;
        this.id = b.id != null ? b.id : UUID.randomUUID().toString();
        this.address = b.address != null ? b.address : HostAddress.nonLoopback();
        this.port = b.port;
        this.weight = b.weight;
        this.currentWeight = b.weight;
        this.metadata = Map.copyOf(b.metadata);
        this.path = new ZnodeLayout(ZnodeLayout.DEFAULT_ZKGATE_ROOT, b.servicesRoot).instancePath(service, id);
        // Check where the gateways will connect: a loopback health URL would pass for a service they cannot reach.
        this.healthCheck = b.healthCheck != null ? b.healthCheck : b.healthUrl != null
                ? HealthCheck.http(RegisteredAddress.healthUrlFor(b.healthUrl, address), b.healthTimeout) : null;
        this.healthIntervalMs = b.healthInterval.toMillis();
        this.healthFailures = b.healthFailures;
        this.healthSuccesses = b.healthSuccesses;
        this.drainPeriodMs = b.drainPeriod.toMillis();
        this.shutdownHook = b.shutdownHook;
        this.name = service + "/" + id;
        if (b.client != null) {
            this.client = b.client;
            this.ownsClient = false;
            this.connectString = b.client.getZookeeperClient().getCurrentConnectionString();
            this.connectionTimeoutMs = b.client.getZookeeperClient().getConnectionTimeoutMs();
        } else {
            this.ownsClient = true;
            this.connectString = b.connectString;
            this.connectionTimeoutMs = b.connectionTimeout.toMillis();
            CuratorFrameworkFactory.Builder cb = CuratorFrameworkFactory.builder()
                    .connectString(b.connectString)
                    .sessionTimeoutMs((int) b.sessionTimeout.toMillis())
                    .connectionTimeoutMs((int) b.connectionTimeout.toMillis())
                    .retryPolicy(new ExponentialBackoffRetry(200, 3, 2000));
            if (b.zkAuth != null) {
                cb.authorization("digest", b.zkAuth.getBytes(StandardCharsets.UTF_8))
                        .aclProvider(new InstanceAcl(path));
            }
            this.client = cb.build();
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Connects (when the agent owns its client) and registers the instance, or, with a health check, starts checking
     * and registers after the first pass. Returns at once; ZooKeeper being unreachable is retried, not an error.
     */
    public RegistryAgent start() {
        synchronized (lock) {
            if (state != State.LATENT) {
                throw new IllegalStateException(name + ": already started (state " + state + ")");
            }
            client.getConnectionStateListenable().addListener(connectionListener);
            if (ownsClient) {
                client.start();
            }
            scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "zkgate-agent-" + service);
                t.setDaemon(true);
                return t;
            });
            if (ownsClient) {
                scheduler.schedule(this::warnIfNeverConnected, connectionTimeoutMs, TimeUnit.MILLISECONDS);
            }
            if (healthCheck == null) {
                state = State.REGISTERED;
                register();
            } else {
                state = State.PENDING;
                log.info("{}: started; registering after the first passing health check ({}, every {} ms)",
                        name, healthCheck, healthIntervalMs);
                scheduler.scheduleAtFixedRate(this::checkHealth, 0, healthIntervalMs, TimeUnit.MILLISECONDS);
            }
            if (shutdownHook) {
                hook = new Thread(this::drain, "zkgate-agent-drain-" + service);
                Runtime.getRuntime().addShutdownHook(hook);
            }
        }
        return this;
    }

    /**
     * Drains: writes weight 0 so gateways send no new requests, waits the drain period for requests in flight, then
     * unregisters and closes. Returns when closed. Without a registered node there is nothing to drain and it closes
     * at once; {@link #close()} from another thread cuts the wait short.
     */
    public void drain() {
        PersistentNode draining;
        boolean alreadyDraining = false;
        synchronized (lock) {
            if (state == State.LATENT || state == State.CLOSED) {
                draining = null;
            } else if (state == State.DRAINING) {
                draining = null;
                alreadyDraining = true;
            } else {
                draining = state == State.REGISTERED ? node : null;
                state = State.DRAINING;
                currentWeight = 0;
                if (scheduler != null) {
                    scheduler.shutdownNow();
                }
            }
        }
        if (alreadyDraining) {
            awaitClosedQuietly();
            return;
        }
        if (draining != null) {
            try {
                draining.setData(data(0));
                log.info("{}: draining: weight 0 written, unregistering in {} ms", name, drainPeriodMs);
            } catch (IllegalStateException e) {
                draining = null; // never created in ZooKeeper: nothing routes to it
            } catch (Exception e) {
                log.warn("{}: draining: writing weight 0 failed ({}); unregistering in {} ms", name, e.toString(),
                        drainPeriodMs);
            }
        }
        if (draining != null && drainPeriodMs > 0) {
            try {
                drainCut.await(drainPeriodMs, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        close();
        awaitClosedQuietly();
    }

    /** Unregisters at once (deletes the znode) and stops; closes the ZooKeeper client if the agent created it. */
    @Override
    public void close() {
        PersistentNode toClose;
        Thread toRemove;
        ScheduledExecutorService toStop;
        boolean wasDraining;
        synchronized (lock) {
            if (state == State.CLOSED) {
                return;
            }
            boolean wasStarted = state != State.LATENT;
            wasDraining = state == State.DRAINING;
            state = State.CLOSED;
            toClose = node;
            node = null;
            toRemove = hook;
            hook = null;
            toStop = scheduler;
            scheduler = null;
            if (!wasStarted) {
                closed.countDown();
                if (ownsClient) {
                    client.close();
                }
                return;
            }
        }
        drainCut.countDown();
        if (toStop != null) {
            toStop.shutdownNow();
        }
        if (toClose != null) {
            boolean written = toClose.getActualPath() != null;
            closeNode(toClose);
            if (written) {
                log.info("{}: {}unregistered", name, wasDraining ? "drained and " : "");
            }
        }
        client.getConnectionStateListenable().removeListener(connectionListener);
        if (ownsClient) {
            client.close();
        }
        if (toRemove != null && Thread.currentThread() != toRemove) {
            try {
                Runtime.getRuntime().removeShutdownHook(toRemove);
            } catch (IllegalStateException e) {
                // the JVM is shutting down; the hook finds the agent closed
            }
        }
        closed.countDown();
        log.info("{}: closed", name);
    }

    /**
     * Waits until the instance's znode has been written once since it was last (re-)registered; false on timeout,
     * or when it is not meant to be registered (pending or failing health check, closed).
     */
    public boolean awaitRegistered(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            PersistentNode current;
            synchronized (lock) {
                current = nodeStarted ? node : null;
            }
            long left = deadline - System.nanoTime();
            if (current != null) {
                return current.waitForInitialCreate(Math.max(0, left), TimeUnit.NANOSECONDS);
            }
            if (left <= 0) {
                return false;
            }
            Thread.sleep(Math.min(20, TimeUnit.NANOSECONDS.toMillis(left) + 1));
        }
    }

    public State state() {
        synchronized (lock) {
            return state;
        }
    }

    public String service() {
        return service;
    }

    public String id() {
        return id;
    }

    public String address() {
        return address;
    }

    public int port() {
        return port;
    }

    /** The instance's znode path. */
    public String path() {
        return path;
    }

    /** How often the znode was re-created after being lost (session expiry, server restart, deletion). */
    public long reRegistrations() {
        return reRegistrations.get();
    }

    /** How often the health check changed the registration (first registration, withdrawal, return). */
    public long healthTransitions() {
        return healthTransitions.get();
    }

    /** The current ZooKeeper session id, 0 when not connected. For tests. */
    long sessionId() throws Exception {
        return client.getZookeeperClient().getZooKeeper().getSessionId();
    }

    /** The client the agent registers through. For tests. */
    CuratorFramework client() {
        return client;
    }

    // ---- registration (callers hold lock) ----

    private void register() {
        PersistentNode n = new PersistentNode(client, CreateMode.EPHEMERAL, false, path, data(currentWeight), true);
        n.getListenable().addListener(new CreationLogger(state == State.REGISTERED && healthTransitions.get() > 1));
        node = n;
        nodeStarted = false;
        if (client.getZookeeperClient().isConnected()) {
            n.start();
            nodeStarted = true;
        }
    }

    private void connectionChanged(CuratorFramework c, ConnectionState newState) {
        boolean connectedBefore;
        synchronized (lock) {
            connectedBefore = everConnected;
        }
        // Before the first connection Curator still reports SUSPENDED and LOST; the one unreachable line covers it.
        if (ownsClient && (connectedBefore || newState.isConnected())) {
            switch (newState) {
                case CONNECTED -> log.info("{}: connected to ZooKeeper {}", name, connectString);
                case SUSPENDED -> log.warn("{}: ZooKeeper connection suspended; the instance stays registered "
                        + "unless the session expires", name);
                case LOST -> log.warn("{}: ZooKeeper session lost; re-registering once reconnected", name);
                case RECONNECTED -> log.info("{}: reconnected to ZooKeeper; the instance is re-created if missing",
                        name);
                case READ_ONLY -> log.warn("{}: ZooKeeper connection is read-only", name);
                default -> { }
            }
        }
        if (!newState.isConnected()) {
            return;
        }
        synchronized (lock) {
            everConnected = true;
            if (node != null && !nodeStarted && (state == State.REGISTERED || state == State.DRAINING)) {
                node.start();
                nodeStarted = true;
            }
        }
    }

    private void warnIfNeverConnected() {
        synchronized (lock) {
            if (everConnected || state == State.CLOSED) {
                return;
            }
        }
        log.warn("{}: ZooKeeper {} unreachable for {} ms; still trying, the instance registers once it answers",
                name, connectString, connectionTimeoutMs);
    }

    private void checkHealth() {
        boolean ok;
        String reason = null;
        try {
            ok = healthCheck.check();
            if (!ok) {
                reason = "check returned false";
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } catch (Exception e) {
            ok = false;
            reason = e.getMessage() != null ? e.getMessage() : e.toString();
        }
        PersistentNode withdrawn = null;
        synchronized (lock) {
            switch (state) {
                case PENDING -> {
                    if (ok) {
                        state = State.REGISTERED;
                        healthTransitions.incrementAndGet();
                        log.info("{}: health check passed; registering", name);
                        register();
                    } else if (!pendingFailureLogged) {
                        pendingFailureLogged = true;
                        log.info("{}: health check failing ({}); not registering until it passes", name, reason);
                    }
                }
                case REGISTERED -> {
                    consecutiveFailures = ok ? 0 : consecutiveFailures + 1;
                    if (!ok) {
                        log.debug("{}: health check failed {}/{}: {}", name, consecutiveFailures, healthFailures,
                                reason);
                    }
                    if (consecutiveFailures >= healthFailures) {
                        consecutiveFailures = 0;
                        consecutiveSuccesses = 0;
                        state = State.UNHEALTHY;
                        healthTransitions.incrementAndGet();
                        withdrawn = node;
                        node = null;
                        log.warn("{}: unhealthy after {} failed health checks (last: {}); unregistering", name,
                                healthFailures, reason);
                    }
                }
                case UNHEALTHY -> {
                    consecutiveSuccesses = ok ? consecutiveSuccesses + 1 : 0;
                    if (consecutiveSuccesses >= healthSuccesses) {
                        consecutiveSuccesses = 0;
                        state = State.REGISTERED;
                        healthTransitions.incrementAndGet();
                        log.info("{}: healthy again after {} passing health checks; registering", name,
                                healthSuccesses);
                        register();
                    }
                }
                default -> { }
            }
        }
        if (withdrawn != null) {
            closeNode(withdrawn);
        }
    }

    /** Deletes the node, waiting at most about two connection timeouts (Curator keeps retrying afterwards). */
    private void closeNode(PersistentNode n) {
        Thread closer = new Thread(() -> {
            try {
                n.close();
            } catch (Exception e) {
                log.warn("{}: deleting {} failed: {}", name, path, e.toString());
            }
        }, "zkgate-agent-unregister-" + service);
        closer.setDaemon(true);
        closer.start();
        try {
            closer.join(Math.max(1000, 2 * connectionTimeoutMs));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (closer.isAlive()) {
            log.warn("{}: deleting {} is taking long (ZooKeeper unreachable?); it goes with the session", name, path);
        }
    }

    private void awaitClosedQuietly() {
        try {
            closed.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private byte[] data(int w) {
        return new InstanceJsonSerializer().serialize(new ServiceInstance<>(service, id, address, port, null,
                new InstancePayload(w, metadata), registrationTimeUtc, ServiceType.DYNAMIC, null, true));
    }

    /** Logs each creation of one registration's node and counts the re-creations. Confined to Curator's thread. */
    private final class CreationLogger implements PersistentNodeListener {
        private final boolean afterHealthRecovery;
        private boolean first = true;

        CreationLogger(boolean afterHealthRecovery) {
            this.afterHealthRecovery = afterHealthRecovery;
        }

        @Override
        public void nodeCreated(String createdPath) {
            if (first) {
                first = false;
                log.info("{}: registered {} at {}:{} weight {}{}", name, createdPath, address, port, currentWeight(),
                        afterHealthRecovery ? " (healthy again)" : "");
                return;
            }
            long n = reRegistrations.incrementAndGet();
            log.info("{}: re-registered {} after it was lost ({} re-registrations so far)", name, createdPath, n);
        }
    }

    private int currentWeight() {
        synchronized (lock) {
            return currentWeight;
        }
    }

    /**
     * Digest-authenticated agents: the instance node and the service node the agent may create above it are the
     * creating user's to change (deleting a node needs the parent's permission), everyone may read them; nodes
     * further up are left open. Immutable.
     */
    private static final class InstanceAcl implements ACLProvider {
        private static final List<ACL> INSTANCE;

        static {
            List<ACL> acl = new ArrayList<>(ZooDefs.Ids.CREATOR_ALL_ACL);
            acl.addAll(ZooDefs.Ids.READ_ACL_UNSAFE);
            INSTANCE = Collections.unmodifiableList(acl); // not List.copyOf: ZooKeeper asks contains(null)
        }

        private final String instancePath;
        private final String servicePath;

        InstanceAcl(String instancePath) {
            this.instancePath = instancePath;
            this.servicePath = instancePath.substring(0, instancePath.lastIndexOf('/'));
        }

        @Override
        public List<ACL> getDefaultAcl() {
            return ZooDefs.Ids.OPEN_ACL_UNSAFE;
        }

        @Override
        public List<ACL> getAclForPath(String p) {
            return instancePath.equals(p) || servicePath.equals(p) ? INSTANCE : ZooDefs.Ids.OPEN_ACL_UNSAFE;
        }
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
            List<String> problems = new ArrayList<>();
            if ((connectString == null) == (client == null)) {
                problems.add("connectString or client: give exactly one");
            }
            if (connectString != null && connectString.isBlank()) {
                problems.add("connectString: empty (expected: host:port[,host:port...])");
            }
            if (!ZnodeLayout.isValidName(service)) {
                problems.add("service: '" + service + "' (" + ZnodeLayout.nameRule() + ")");
            }
            if (id != null && !ZnodeLayout.isValidName(id)) {
                problems.add("id: '" + id + "' (" + ZnodeLayout.nameRule() + ")");
            }
            if (address != null && address.isBlank()) {
                problems.add("address: empty (expected: a host name or IP address)");
            }
            if (port < 1 || port > 65535) {
                problems.add("port: " + port + " (expected: 1-65535)");
            }
            if (weight < 0 || weight > io.zkgate.schema.ServiceInstance.MAX_WEIGHT) {
                problems.add("weight: " + weight + " (expected: 0-" + io.zkgate.schema.ServiceInstance.MAX_WEIGHT
                        + ")");
            }
            if (metadata.containsKey("weight")) {
                problems.add("metadata: 'weight' (expected: other keys; the weight is written from weight())");
            }
            if (healthInterval.toMillis() < 10) {
                problems.add("healthInterval: " + healthInterval.toMillis() + " ms (expected: >= 10 ms)");
            }
            if (healthTimeout.toMillis() < 1) {
                problems.add("healthTimeout: " + healthTimeout.toMillis() + " ms (expected: >= 1 ms)");
            }
            if (healthFailures < 1) {
                problems.add("healthFailures: " + healthFailures + " (expected: >= 1)");
            }
            if (healthSuccesses < 1) {
                problems.add("healthSuccesses: " + healthSuccesses + " (expected: >= 1)");
            }
            if (drainPeriod.isNegative()) {
                problems.add("drainPeriod: " + drainPeriod + " (expected: >= 0)");
            }
            if (zkAuth != null && zkAuth.indexOf(':') <= 0) {
                problems.add("zkAuth: expected user:password");
            }
            if (zkAuth != null && client != null) {
                problems.add("zkAuth: only for the agent's own client (authenticate the given client instead)");
            }
            try {
                new ZnodeLayout(ZnodeLayout.DEFAULT_ZKGATE_ROOT, servicesRoot);
            } catch (IllegalArgumentException e) {
                problems.add(e.getMessage());
            }
            if (!problems.isEmpty()) {
                throw new IllegalArgumentException(String.join("; ", problems));
            }
            return new RegistryAgent(this);
        }
    }
}
