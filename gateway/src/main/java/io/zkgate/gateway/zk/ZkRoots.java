package io.zkgate.gateway.zk;

import io.zkgate.schema.ZnodeLayout;
import java.util.List;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.CuratorEvent;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.framework.state.ConnectionStateListener;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the roots a gateway watches ({@code /zkgate/routes}, {@code /zkgate/scripts}, {@code /zkgate/gateways},
 * {@code /services}) as persistent znodes with ZooKeeper's default open ACL, as {@code zkgate-ctl init} without
 * {@code --acl} would, each time the session (re)connects. Roots that exist are left as they are, ACLs included; a
 * root it may not create (a locked tree) is left to the operator with one log line. Runs in the background, so an
 * unreachable ensemble never holds up startup. Thread-safe: stateless apart from the immutable layout.
 */
public final class ZkRoots implements ConnectionStateListener {
    private static final Logger log = LoggerFactory.getLogger(ZkRoots.class);

    private final List<String> roots;

    public ZkRoots(ZnodeLayout layout) {
        this.roots = List.of(layout.routesPath(), layout.scriptsPath(), layout.gatewaysPath(), layout.servicesPath());
    }

    /** Creates the missing roots now if connected, and again after every (re)connection. */
    public void install(CuratorFramework client) {
        client.getConnectionStateListenable().addListener(this);
        if (client.getZookeeperClient().isConnected()) {
            ensure(client);
        }
    }

    @Override
    public void stateChanged(CuratorFramework client, ConnectionState state) {
        if (state == ConnectionState.CONNECTED || state == ConnectionState.RECONNECTED) {
            ensure(client);
        }
    }

    private void ensure(CuratorFramework client) {
        for (String root : roots) {
            try {
                client.create().creatingParentsIfNeeded().withMode(CreateMode.PERSISTENT)
                        .inBackground((c, event) -> created(root, event))
                        .forPath(root, new byte[0]);
            } catch (Exception e) {
                log.warn("cannot create {} in ZooKeeper: {}", root, e.toString());
            }
        }
    }

    private static void created(String root, CuratorEvent event) {
        KeeperException.Code code = KeeperException.Code.get(event.getResultCode());
        if (code == KeeperException.Code.OK) {
            log.info("created {} in ZooKeeper", root);
        } else if (code == KeeperException.Code.NOAUTH) {
            log.warn("{} does not exist and this gateway may not create it (the tree is locked): run "
                    + "'zkgate-ctl init' as an operator", root);
        } else if (code != KeeperException.Code.NODEEXISTS) {
            log.debug("creating {} in ZooKeeper: {}", root, code);
        }
    }
}
