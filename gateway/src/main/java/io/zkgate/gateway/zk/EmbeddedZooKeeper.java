package io.zkgate.gateway.zk;

import io.zkgate.gateway.StartupException;
import java.io.Closeable;
import java.io.File;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.zookeeper.server.ServerCnxnFactory;
import org.apache.zookeeper.server.ZooKeeperServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single ZooKeeper server in this process, built from ZooKeeper's own {@link ZooKeeperServer} and
 * {@link ServerCnxnFactory} (which have no admin server, so no Jetty 9). For one-command runs and the demo; a
 * production fleet points {@code --zk} at an ensemble. Thread-safe for start and close.
 */
public final class EmbeddedZooKeeper implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(EmbeddedZooKeeper.class);
    private static final int TICK_MS = 2000;
    private static final int MAX_CLIENT_CONNECTIONS = 1000;

    private final ServerCnxnFactory factory;
    private final ZooKeeperServer server;
    private final InetSocketAddress address;
    private final DataDirLock lock;

    private EmbeddedZooKeeper(ServerCnxnFactory factory, ZooKeeperServer server, DataDirLock lock) {
        this.factory = factory;
        this.server = server;
        this.address = factory.getLocalAddress();
        this.lock = lock;
    }

    /**
     * Starts a server on {@code host:port} (port 0: any free port) keeping snapshots and logs in {@code dataDir}.
     *
     * @throws EmbeddedZooKeeperException with a message for the user when the port is taken or the directory unusable
     */
    public static EmbeddedZooKeeper start(String host, int port, Path dataDir) throws EmbeddedZooKeeperException {
        System.setProperty("zookeeper.admin.enableServer", "false");
        if (System.getProperty("zookeeper.maxCnxns") == null) {
            System.setProperty("zookeeper.maxCnxns", "0");
        }
        File dir = dataDir.toAbsolutePath().toFile();
        try {
            Files.createDirectories(dataDir);
        } catch (IOException e) {
            throw new EmbeddedZooKeeperException("embedded ZooKeeper: cannot create data directory " + dir + ": " + e);
        }
        if (!dir.canWrite()) {
            throw new EmbeddedZooKeeperException("embedded ZooKeeper: data directory " + dir + " is not writable");
        }
        // Two servers writing one data directory corrupt it; the lock is held until close() or the process ends.
        DataDirLock lock = DataDirLock.acquire(dataDir);
        // NIOServerCnxnFactory installs a JVM-wide default uncaught exception handler; keep ours.
        Thread.UncaughtExceptionHandler previousHandler = Thread.getDefaultUncaughtExceptionHandler();
        ServerCnxnFactory factory = null;
        boolean started = false;
        try {
            ZooKeeperServer server = new ZooKeeperServer(dir, dir, TICK_MS);
            factory = ServerCnxnFactory.createFactory(new InetSocketAddress(host, port), MAX_CLIENT_CONNECTIONS);
            factory.startup(server);
            EmbeddedZooKeeper zk = new EmbeddedZooKeeper(factory, server, lock);
            started = true;
            log.info("embedded ZooKeeper listening on {}:{}, data in {} (to use an ensemble instead: --zk host:port,...)",
                    host, zk.port(), dir);
            return zk;
        } catch (BindException e) {
            shutdownQuietly(factory);
            throw new EmbeddedZooKeeperException("embedded ZooKeeper: cannot listen on " + host + ":" + port + " ("
                    + e.getMessage() + "): another ZooKeeper may be running there; join it with --zk " + host + ":"
                    + port + ", or choose another port with --embedded-zk-port");
        } catch (IOException | InterruptedException | RuntimeException e) {
            shutdownQuietly(factory);
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new EmbeddedZooKeeperException("embedded ZooKeeper: failed to start on " + host + ":" + port
                    + " with data in " + dir + ": " + e);
        } finally {
            Thread.setDefaultUncaughtExceptionHandler(previousHandler);
            if (!started) {
                lock.close();
            }
        }
    }

    public int port() {
        return address.getPort();
    }

    public String connectString() {
        return address.getHostString() + ":" + port();
    }

    @Override
    public void close() {
        stop();
        log.info("embedded ZooKeeper stopped");
    }

    /** Stops the server without a log line, for a gateway that failed to start and says why itself. */
    public void stop() {
        factory.shutdown();
        server.shutdown(true);
        lock.close();
    }

    private static void shutdownQuietly(ServerCnxnFactory factory) {
        if (factory != null) {
            try {
                factory.shutdown();
            } catch (RuntimeException ignored) {
                // Already failing; the original error is what the user needs.
            }
        }
    }

    /** The embedded server could not start; the message says why and what to do. */
    public static final class EmbeddedZooKeeperException extends StartupException {
        private static final long serialVersionUID = 1L;

        public EmbeddedZooKeeperException(String message) {
            super(message);
        }
    }
}
