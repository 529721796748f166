package io.zkgate.gateway.control;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.utils.ZKPaths;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.ZooKeeper;

/**
 * Reads the znodes a few levels under a root in batches, with ZooKeeper's read-only {@code multi} (ZooKeeper 3.6
 * and newer): a few dozen round trips for tens of thousands of znodes, where a {@code CuratorCache}'s initial load
 * sends one request per znode and takes seconds per ten thousand. Batches are sized from the largest znode seen so
 * far so a response stays far below the client's packet limit ({@code jute.maxbuffer}, 1 MB by default). A znode
 * deleted between the listing and the read is skipped. Stateless; blocking.
 */
final class ZnodeTreeReader {
    /** Bytes a batch of reads aims to stay under. */
    private static final int BATCH_BYTES = 256 * 1024;
    private static final int MAX_BATCH = 512;
    private static final int FIRST_BATCH = 64;

    private ZnodeTreeReader() {}

    /**
     * The znodes exactly {@code depth} levels under {@code root} with their data and stat, in listing order.
     *
     * @throws Exception when ZooKeeper cannot answer (not connected within {@code connectWaitMs}, no read multi, an
     *                   ACL refusal): the caller falls back to reading znode by znode
     */
    static List<ChildData> read(CuratorFramework client, String root, int depth, long connectWaitMs)
            throws Exception {
        if (!client.blockUntilConnected((int) connectWaitMs, TimeUnit.MILLISECONDS)) {
            throw new KeeperException.ConnectionLossException();
        }
        ZooKeeper zk = client.getZookeeperClient().getZooKeeper();
        String namespace = client.getNamespace();
        List<String> level = List.of(root);
        for (int d = 0; d < depth; d++) {
            level = children(zk, namespace, level);
        }
        return data(zk, namespace, level);
    }

    private static List<String> children(ZooKeeper zk, String namespace, List<String> parents) throws Exception {
        List<String> out = new ArrayList<>();
        for (int from = 0; from < parents.size(); from += FIRST_BATCH) {
            List<String> batch = parents.subList(from, Math.min(parents.size(), from + FIRST_BATCH));
            List<Op> ops = new ArrayList<>(batch.size());
            for (String parent : batch) {
                ops.add(Op.getChildren(ZKPaths.fixForNamespace(namespace, parent)));
            }
            List<OpResult> results = zk.multi(ops);
            for (int i = 0; i < results.size(); i++) {
                if (results.get(i) instanceof OpResult.GetChildrenResult r) {
                    for (String child : r.getChildren()) {
                        out.add(ZKPaths.makePath(batch.get(i), child));
                    }
                } else {
                    failUnlessGone(results.get(i), batch.get(i));
                }
            }
        }
        return out;
    }

    private static List<ChildData> data(ZooKeeper zk, String namespace, List<String> paths) throws Exception {
        List<ChildData> out = new ArrayList<>(paths.size());
        int largest = 1;
        int batchSize = FIRST_BATCH;
        for (int from = 0; from < paths.size(); from += batchSize) {
            batchSize = Math.max(1, Math.min(MAX_BATCH, from == 0 ? FIRST_BATCH : BATCH_BYTES / largest));
            List<String> batch = paths.subList(from, Math.min(paths.size(), from + batchSize));
            List<Op> ops = new ArrayList<>(batch.size());
            for (String path : batch) {
                ops.add(Op.getData(ZKPaths.fixForNamespace(namespace, path)));
            }
            List<OpResult> results = zk.multi(ops);
            for (int i = 0; i < results.size(); i++) {
                if (results.get(i) instanceof OpResult.GetDataResult r) {
                    byte[] bytes = r.getData() == null ? new byte[0] : r.getData();
                    largest = Math.max(largest, bytes.length + batch.get(i).length());
                    out.add(new ChildData(batch.get(i), r.getStat(), bytes));
                } else {
                    failUnlessGone(results.get(i), batch.get(i));
                }
            }
        }
        return out;
    }

    private static void failUnlessGone(OpResult result, String path) throws KeeperException {
        if (result instanceof OpResult.ErrorResult e
                && e.getErr() != KeeperException.Code.NONODE.intValue()) {
            throw KeeperException.create(KeeperException.Code.get(e.getErr()), path);
        }
    }
}
