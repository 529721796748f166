package io.zkgate.gateway;

import io.zkgate.config.GatewaySettings;
import io.zkgate.gateway.control.ZooKeeperStatus;
import io.zkgate.gateway.metrics.GatewayMetrics;
import io.zkgate.gateway.zk.EmbeddedZooKeeper;
import io.zkgate.gateway.zk.ZkConnectionLog;
import io.zkgate.gateway.zk.ZkRoots;
import io.zkgate.schema.BoundedStep;
import io.zkgate.schema.ZkAuth;
import io.zkgate.schema.ZkClientConfigs;
import io.zkgate.schema.ZnodeLayout;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's way to ZooKeeper: the embedded server when no ensemble is configured, the Curator client (auth,
 * retry policy, the roots it creates, the connection log in place of the client's line per attempt), and the
 * connection state as {@code /admin/status} and the metrics see it. {@link #leave} closes them in that order's reverse,
 * never waiting long on an unreachable ensemble. Not thread-safe: {@link Gateway} starts it and leaves once.
 */
final class ZooKeeperConnection {
    private static final Logger log = LoggerFactory.getLogger(Gateway.class); // logged as the gateway's own lines
    private static final long LEAVE_ZOOKEEPER_MS = 3_000;

    private final GatewaySettings settings;
    /** Null with {@code --zk}, and until the embedded server started. */
    private EmbeddedZooKeeper embedded;
    private CuratorFramework curator;
    private ZooKeeperStatus status;
    private ZkConnectionLog connectionLog;

    ZooKeeperConnection(GatewaySettings settings) {
        this.settings = settings;
    }

    /** Starts the embedded server if asked, then the client (which connects in the background). */
    void start(ZnodeLayout layout, GatewayMetrics metrics) throws Exception {
        String connect = settings.zkConnect();
        if (settings.embeddedZooKeeper()) {
            embedded = EmbeddedZooKeeper.start("127.0.0.1", settings.embeddedZkPort(), settings.zooKeeperDataDir());
            connect = embedded.connectString();
        }
        CuratorFrameworkFactory.Builder builder = CuratorFrameworkFactory.builder()
                .connectString(connect)
                .zkClientConfig(ZkClientConfigs.fromSystemProperties())
                .sessionTimeoutMs(settings.zkSessionTimeoutMs())
                .connectionTimeoutMs(settings.zkConnectionTimeoutMs())
                .retryPolicy(new ExponentialBackoffRetry(200, 10, 5_000));
        if (!settings.zkAuth().isEmpty()) {
            builder.authorization(ZkAuth.SCHEME, ZkAuth.parse(settings.zkAuth()).authBytes());
        }
        curator = builder.build();
        ZooKeeperStatus state = new ZooKeeperStatus(connect);
        status = state;
        curator.getConnectionStateListenable().addListener((client, change) -> {
            state.stateChanged(change.name(), change.isConnected());
            metrics.zooKeeperState(change.name(), change.isConnected());
        });
        connectionLog = new ZkConnectionLog(connect, settings.zkConnectionTimeoutMs());
        connectionLog.install(curator);
        new ZkRoots(layout).install(curator);
        curator.start();
    }

    CuratorFramework curator() {
        return curator;
    }

    ZooKeeperStatus status() {
        return status;
    }

    /**
     * Runs {@code beforeSessionCloses} (the fleet node's removal) and closes the session, waiting at most
     * {@link #LEAVE_ZOOKEEPER_MS}: with ZooKeeper unreachable, Curator would retry the delete for a minute, holding up a
     * shutdown that has nothing to lose (the node is ephemeral and goes with the session). Then stops the embedded
     * server, last. Quiet ({@code loud} false) for a gateway that failed to start.
     */
    void leave(Runnable beforeSessionCloses, boolean loud) {
        boolean left = BoundedStep.run("zkgate-leave-zookeeper", LEAVE_ZOOKEEPER_MS, () -> {
            beforeSessionCloses.run();
            if (curator != null) {
                curator.close();
            }
        });
        if (!left && loud) {
            log.warn("ZooKeeper unreachable: not waiting for the session to close (its ephemeral nodes go when it "
                    + "expires)");
        }
        if (connectionLog != null) {
            connectionLog.close();
        }
        if (embedded != null) {
            if (loud) {
                embedded.close();
            } else {
                embedded.stop();
            }
        }
    }
}
