package io.zkgate.agent;

import io.zkgate.agent.RegistryAgent.State;
import io.zkgate.schema.BoundedStep;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.nodes.PersistentNode;
import org.apache.zookeeper.CreateMode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's state machine ({@link State}), in the manner of Curator's {@link PersistentNode}, on which it is built:
 * every transition is one method here, made under one lock together with what it starts or stops (the client when
 * the agent owns it, the health thread, the shutdown hook, the instance's node). {@link HealthWatch} and
 * {@link Drain} decide when to move; {@link SessionRecovery} keeps the node registered across session loss.
 *
 * <p>Thread-safe: the fields below {@link #lock} are guarded by it.
 */
final class Registration {
    // One logger for the whole agent: its lines are the agent's, whichever part writes them.
    private static final Logger log = LoggerFactory.getLogger(RegistryAgent.class);

    private final CuratorFramework client;
    private final boolean ownsClient;
    private final long connectionTimeoutMs;
    private final InstanceZnode znode;
    private final String name;
    private final AtomicLong healthTransitions = new AtomicLong();
    private final CountDownLatch closing = new CountDownLatch(1);
    private final CountDownLatch closed = new CountDownLatch(1);
    private final SessionRecovery recovery;

    private final Object lock = new Object();
    private State state = State.LATENT;
    private PersistentNode node;
    private boolean nodeStarted;
    private int currentWeight;
    private ScheduledExecutorService scheduler;
    private Thread hook;

    /** {@code ownsClient}: the agent created the client, so it starts and closes it and logs its connection. */
    Registration(CuratorFramework client, boolean ownsClient, String connectString, long connectionTimeoutMs,
            InstanceZnode znode, int weight) {
        this.client = client;
        this.ownsClient = ownsClient;
        this.connectionTimeoutMs = connectionTimeoutMs;
        this.znode = znode;
        this.name = znode.name();
        this.currentWeight = weight;
        this.recovery = new SessionRecovery(this, ownsClient, connectString, connectionTimeoutMs, znode);
    }

    /**
     * LATENT to REGISTERED, or to PENDING with a health check, which then runs at its interval on the agent's one
     * thread; {@code onJvmExit}, when not null, runs in a JVM shutdown hook.
     */
    void start(HealthWatch health, Runnable onJvmExit) {
        synchronized (lock) {
            if (state != State.LATENT) {
                throw new IllegalStateException(name + ": already started (state " + state + ")");
            }
            client.getConnectionStateListenable().addListener(recovery);
            if (ownsClient) {
                client.start();
            }
            scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "zkgate-agent-" + znode.service());
                t.setDaemon(true);
                return t;
            });
            if (ownsClient) {
                scheduler.schedule(recovery::warnIfNeverConnected, connectionTimeoutMs, TimeUnit.MILLISECONDS);
            }
            if (health == null) {
                state = State.REGISTERED;
                register(false);
            } else {
                state = State.PENDING;
                log.info("{}: started; registering after the first passing health check ({})", name, health);
                scheduler.scheduleAtFixedRate(health::check, 0, health.intervalMs(), TimeUnit.MILLISECONDS);
            }
            if (onJvmExit != null) {
                hook = new Thread(onJvmExit, "zkgate-agent-drain-" + znode.service());
                Runtime.getRuntime().addShutdownHook(hook);
            }
        }
    }

    /**
     * PENDING or UNHEALTHY ({@code from}) to REGISTERED: {@code announce} logs it, then the node is created. Nothing
     * happens when the agent has left {@code from} meanwhile (it is draining or closed).
     */
    void registerHealthy(State from, Runnable announce) {
        synchronized (lock) {
            if (state != from) {
                return;
            }
            state = State.REGISTERED;
            healthTransitions.incrementAndGet();
            announce.run();
            register(from == State.UNHEALTHY);
        }
    }

    /**
     * REGISTERED to UNHEALTHY: {@code announce} logs it, then the node is deleted. Nothing happens when the agent is
     * no longer registered.
     */
    void withdraw(Runnable announce) {
        PersistentNode withdrawn;
        synchronized (lock) {
            if (state != State.REGISTERED) {
                return;
            }
            state = State.UNHEALTHY;
            healthTransitions.incrementAndGet();
            withdrawn = node;
            node = null;
            announce.run();
        }
        if (withdrawn != null) {
            deleteNode(withdrawn);
        }
    }

    /**
     * PENDING, REGISTERED or UNHEALTHY to DRAINING: the weight becomes 0 and health checks stop. Returns the node that
     * is registered, to write weight 0 into; null when none is (or the agent was never started or is closed).
     */
    PersistentNode beginDrain() {
        synchronized (lock) {
            if (state == State.LATENT || state == State.DRAINING || state == State.CLOSED) {
                return null;
            }
            PersistentNode registered = state == State.REGISTERED ? node : null;
            state = State.DRAINING;
            currentWeight = 0;
            scheduler.shutdownNow();
            return registered;
        }
    }

    /** Any state to CLOSED: deletes the node at once, stops everything started, closes the client the agent owns. */
    void close() {
        PersistentNode toDelete;
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
            toDelete = node;
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
        closing.countDown();
        if (toStop != null) {
            toStop.shutdownNow();
        }
        if (toDelete != null) {
            boolean written = toDelete.getActualPath() != null;
            deleteNode(toDelete);
            if (written) {
                log.info("{}: {}unregistered", name, wasDraining ? "drained and " : "");
            }
        }
        client.getConnectionStateListenable().removeListener(recovery);
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

    /** Waits until {@link #close()} begins or {@code ms} pass. */
    void awaitCloseBegun(long ms) {
        try {
            closing.await(ms, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Waits until {@link #close()} has finished. */
    void awaitClosed() {
        try {
            closed.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    State state() {
        synchronized (lock) {
            return state;
        }
    }

    /** See {@link RegistryAgent#awaitRegistered(Duration)}. */
    boolean awaitRegistered(Duration timeout) throws InterruptedException {
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

    long reRegistrations() {
        return recovery.reRegistrations();
    }

    long healthTransitions() {
        return healthTransitions.get();
    }

    /** A node registered before ZooKeeper first answered starts now; called once connected. */
    void startWaitingNode() {
        synchronized (lock) {
            if (node != null && !nodeStarted && (state == State.REGISTERED || state == State.DRAINING)) {
                node.start();
                nodeStarted = true;
            }
        }
    }

    int currentWeight() {
        synchronized (lock) {
            return currentWeight;
        }
    }

    /** Caller holds the lock; the node starts now, or once ZooKeeper answers ({@link #startWaitingNode()}). */
    private void register(boolean healthyAgain) {
        PersistentNode n = new PersistentNode(client, CreateMode.EPHEMERAL, false, znode.path(),
                znode.data(currentWeight), true);
        n.getListenable().addListener(recovery.creationListener(healthyAgain));
        node = n;
        nodeStarted = false;
        if (client.getZookeeperClient().isConnected()) {
            n.start();
            nodeStarted = true;
        }
    }

    /** Deletes the node, waiting at most about two connection timeouts (Curator keeps retrying afterwards). */
    private void deleteNode(PersistentNode n) {
        boolean deleted = BoundedStep.run("zkgate-agent-unregister-" + znode.service(),
                Math.max(1000, 2 * connectionTimeoutMs), () -> {
                    try {
                        n.close();
                    } catch (Exception e) {
                        log.warn("{}: deleting {} failed: {}", name, znode.path(), e.toString());
                    }
                });
        if (!deleted) {
            log.warn("{}: deleting {} is taking long (ZooKeeper unreachable?); it goes with the session", name,
                    znode.path());
        }
    }
}
