package io.zkgate.gateway.zk;

import java.io.Closeable;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.framework.state.ConnectionStateListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One log line per change of the ZooKeeper connection, naming the connect string and how long the gateway has been
 * trying: connected (after how long), unreachable (once, when the first connection has not come within the
 * connection timeout), suspended, lost, reconnected (after how long away). The ZooKeeper client's and Curator's own
 * per-attempt messages are turned down in the logging configuration, so this is what an operator reads. Thread-safe:
 * state changes arrive on Curator's one event thread, the unreachable check on its own thread; shared fields are
 * volatile.
 */
public final class ZkConnectionLog implements ConnectionStateListener, Closeable {
    private static final Logger log = LoggerFactory.getLogger(ZkConnectionLog.class);

    private final String connectString;
    private final long unreachableAfterMs;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "zkgate-zk-connection-log");
        t.setDaemon(true);
        return t;
    });
    private volatile long startedNanos;
    /** When the connection was last lost (suspended or the session lost), or when the first attempt started. */
    private volatile long awaySinceNanos;
    /** Whether the connection is down as far as this log has seen: from SUSPENDED or LOST to RECONNECTED. */
    private volatile boolean away;
    private volatile boolean everConnected;

    /**
     * @param unreachableAfterMs how long a first connection may take before it is reported unreachable
     */
    public ZkConnectionLog(String connectString, long unreachableAfterMs) {
        this.connectString = connectString;
        this.unreachableAfterMs = unreachableAfterMs;
    }

    /** Listens to {@code client}; call before {@code client.start()}. */
    public void install(CuratorFramework client) {
        startedNanos = System.nanoTime();
        awaySinceNanos = startedNanos;
        client.getConnectionStateListenable().addListener(this);
        timer.schedule(this::checkFirstConnection, unreachableAfterMs, TimeUnit.MILLISECONDS);
        log.info("connecting to ZooKeeper at {}", connectString);
    }

    private void checkFirstConnection() {
        if (!everConnected) {
            log.warn("ZooKeeper UNREACHABLE at {} for {}; still trying (/ready answers 503 until the first full "
                    + "sync; check --zk)", connectString, since(startedNanos));
        }
    }

    @Override
    public void stateChanged(CuratorFramework client, ConnectionState state) {
        switch (state) {
            case CONNECTED -> {
                everConnected = true;
                log.info("ZooKeeper CONNECTED at {} after {}", connectString, since(startedNanos));
            }
            case RECONNECTED -> {
                log.info("ZooKeeper RECONNECTED at {} after {} away; resyncing", connectString,
                        away ? since(awaySinceNanos) : "0 ms");
                away = false;
            }
            case SUSPENDED -> {
                if (everConnected) {
                    markAway();
                    log.warn("ZooKeeper SUSPENDED at {}: connection lost, still trying; serving the last snapshot",
                            connectString);
                } else {
                    log.warn("ZooKeeper SUSPENDED at {}: unreachable for {}, still trying", connectString,
                            since(startedNanos));
                }
            }
            case LOST -> {
                if (everConnected && away) {
                    log.warn("ZooKeeper LOST at {}: session expired, {} after the connection dropped; still trying, "
                            + "serving the last snapshot", connectString, since(awaySinceNanos));
                } else if (everConnected) {
                    markAway();
                    log.warn("ZooKeeper LOST at {}: session expired without the connection being seen to drop (was "
                            + "this process paused longer than the session timeout: a long GC pause, a frozen "
                            + "container?); still trying, serving the last snapshot", connectString);
                } else {
                    log.warn("ZooKeeper LOST at {}: unreachable for {}, still trying", connectString,
                            since(startedNanos));
                }
            }
            case READ_ONLY -> log.warn("ZooKeeper READ_ONLY at {}: its server lost its quorum", connectString);
            default -> log.info("ZooKeeper {} at {}", state, connectString);
        }
    }

    private void markAway() {
        if (!away) {
            away = true;
            awaySinceNanos = System.nanoTime();
        }
    }

    private static String since(long nanos) {
        Duration d = Duration.ofNanos(System.nanoTime() - nanos);
        long s = d.toSeconds();
        return s < 10 ? d.toMillis() + " ms" : s < 120 ? s + " s" : d.toMinutes() + " min " + (s % 60) + " s";
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
