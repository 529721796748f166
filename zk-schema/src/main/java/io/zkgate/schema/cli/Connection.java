package io.zkgate.schema.cli;

import io.zkgate.schema.ZkAcls;
import io.zkgate.schema.ZkAuth;
import io.zkgate.schema.ZkClientConfigs;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryNTimes;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Stat;

/** One CLI command's ZooKeeper session. Not thread-safe: one command uses it at a time. */
final class Connection implements AutoCloseable {
    private final CuratorFramework client;

    private Connection(CuratorFramework client) {
        this.client = client;
    }

    static Connection open(String connectString, ZkAuth auth, int timeoutMs) throws CtlException {
        CuratorFrameworkFactory.Builder b = CuratorFrameworkFactory.builder()
                .connectString(connectString)
                .zkClientConfig(ZkClientConfigs.fromSystemProperties())
                .connectionTimeoutMs(timeoutMs)
                .sessionTimeoutMs(Math.max(timeoutMs, 10_000))
                .retryPolicy(new RetryNTimes(2, 250));
        if (auth != null) {
            b.authorization(ZkAuth.SCHEME, auth.authBytes());
        }
        CuratorFramework client = b.build();
        client.start();
        boolean connected;
        try {
            connected = client.blockUntilConnected(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            connected = false;
        }
        if (!connected) {
            client.close();
            throw CtlException.failed("cannot reach ZooKeeper at " + connectString + " within " + timeoutMs
                    + " ms (set --zk or ZKGATE_ZK)");
        }
        return new Connection(client);
    }

    CuratorFramework client() {
        return client;
    }

    /** The data of {@code path} (empty when it holds none); absent, it fails the command naming {@code what}. */
    byte[] read(String path, String what) throws Exception {
        byte[] data = readIfPresent(path);
        if (data == null) {
            throw CtlException.absent(what, path);
        }
        return data;
    }

    /** The data of {@code path} (empty when it holds none), or null when it is gone, as a listed child may be. */
    byte[] readIfPresent(String path) throws Exception {
        try {
            byte[] data = client.getData().forPath(path);
            return data == null ? new byte[0] : data;
        } catch (KeeperException.NoNodeException e) {
            return null;
        }
    }

    /** The stat of {@code path}; absent, it fails the command naming {@code what}. */
    Stat stat(String path, String what) throws Exception {
        Stat stat = client.checkExists().forPath(path);
        if (stat == null) {
            throw CtlException.absent(what, path);
        }
        return stat;
    }

    /**
     * Creates {@code path} and its parents when absent, as {@code init} without {@code --acl} does (persistent,
     * ZooKeeper's open ACL), so a command can write to a tree no one has initialised. An existing node is left as
     * it is, ACL included.
     */
    void ensureRoot(String path) throws Exception {
        if (client.checkExists().forPath(path) == null) {
            try {
                client.create().creatingParentsIfNeeded().withMode(CreateMode.PERSISTENT).forPath(path, new byte[0]);
            } catch (KeeperException.NodeExistsException e) {
                // created by someone else meanwhile
            }
        }
    }

    /**
     * Writes {@code path} in the tree under {@code root} (created when absent, as {@link #ensureRoot} does) with the
     * root's ACL, creating its parent first when that is not the root; an existing node is overwritten only with
     * {@code replace}, else {@code existsMessage} fails the command.
     *
     * @return true when the node was created, false when it was overwritten
     */
    boolean putWithTreeAcl(String root, String path, byte[] content, boolean replace, String existsMessage)
            throws Exception {
        ensureRoot(root);
        List<ACL> acl = client.getACL().forPath(root);
        if (ZkAcls.hidesDigests(acl)) {
            throw CtlException.notAuthorised(root);
        }
        try {
            String parent = path.substring(0, path.lastIndexOf('/'));
            if (!parent.equals(root) && client.checkExists().forPath(parent) == null) {
                try {
                    client.create().withMode(CreateMode.PERSISTENT).withACL(acl).forPath(parent, new byte[0]);
                } catch (KeeperException.NodeExistsException e) {
                    // created meanwhile
                }
            }
            try {
                client.create().withMode(CreateMode.PERSISTENT).withACL(acl).forPath(path, content);
                return true;
            } catch (KeeperException.NodeExistsException e) {
                if (!replace) {
                    throw CtlException.failed(existsMessage);
                }
                client.setData().forPath(path, content);
                return false;
            }
        } catch (KeeperException.NoAuthException e) {
            throw CtlException.notAuthorised(root);
        }
    }

    @Override
    public void close() {
        client.close();
    }
}
