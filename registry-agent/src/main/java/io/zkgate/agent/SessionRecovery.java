package io.zkgate.agent;

import io.zkgate.agent.RegistryAgent.State;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.nodes.PersistentNode;
import org.apache.curator.framework.recipes.nodes.PersistentNodeListener;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.framework.state.ConnectionStateListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Recovery from session loss. The re-creating itself is Curator's: the instance's node is a {@link PersistentNode}
 * in EPHEMERAL mode, which comes back after session expiry, a server or ensemble restart and deletion, and adopts a
 * node its previous session still owns. Around it, this class starts a node registered before ZooKeeper first
 * answered, logs each change of the agent's own connection (one line when ZooKeeper is unreachable at start, however
 * long it stays so) and logs and counts each re-creation. Thread-safe.
 */
final class SessionRecovery implements ConnectionStateListener {
    private static final Logger log = LoggerFactory.getLogger(RegistryAgent.class);

    private final Registration registration;
    private final boolean ownsClient;
    private final String connectString;
    private final long connectionTimeoutMs;
    private final InstanceZnode znode;
    private final String name;
    private final AtomicLong reRegistrations = new AtomicLong();
    private volatile boolean everConnected;

    /** {@code ownsClient}: the connection is the agent's, so its changes are logged. */
    SessionRecovery(Registration registration, boolean ownsClient, String connectString, long connectionTimeoutMs,
            InstanceZnode znode) {
        this.registration = registration;
        this.ownsClient = ownsClient;
        this.connectString = connectString;
        this.connectionTimeoutMs = connectionTimeoutMs;
        this.znode = znode;
        this.name = znode.name();
    }

    @Override
    public void stateChanged(CuratorFramework client, ConnectionState newState) {
        // Before the first connection Curator still reports SUSPENDED and LOST; the one unreachable line covers it.
        if (ownsClient && (everConnected || newState.isConnected())) {
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
        everConnected = true;
        registration.startWaitingNode();
    }

    /** Runs once, a connection timeout after start. */
    void warnIfNeverConnected() {
        if (everConnected || registration.state() == State.CLOSED) {
            return;
        }
        log.warn("{}: ZooKeeper {} unreachable for {} ms; still trying, the instance registers once it answers",
                name, connectString, connectionTimeoutMs);
    }

    /** For one registration's node: its first creation is the registration, every later one a re-registration. */
    PersistentNodeListener creationListener(boolean healthyAgain) {
        return new CreationLogger(healthyAgain);
    }

    long reRegistrations() {
        return reRegistrations.get();
    }

    /** Logs each creation of one registration's node and counts the re-creations. Confined to Curator's thread. */
    private final class CreationLogger implements PersistentNodeListener {
        private final boolean healthyAgain;
        private boolean first = true;

        CreationLogger(boolean healthyAgain) {
            this.healthyAgain = healthyAgain;
        }

        @Override
        public void nodeCreated(String createdPath) {
            if (first) {
                first = false;
                log.info("{}: registered {} at {}:{} weight {}{}", name, createdPath, znode.address(), znode.port(),
                        registration.currentWeight(), healthyAgain ? " (healthy again)" : "");
                return;
            }
            long n = reRegistrations.incrementAndGet();
            log.info("{}: re-registered {} after it was lost ({} re-registrations so far)", name, createdPath, n);
        }
    }
}
