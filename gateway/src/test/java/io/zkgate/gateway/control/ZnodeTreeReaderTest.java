package io.zkgate.gateway.control;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.Test;

/** The batched initial read against a real ZooKeeper: every znode at the asked depth, its data and stat. */
class ZnodeTreeReaderTest {

    @Test
    void readsEveryZnodeTwoLevelsDownAcrossManyBatchesWithItsDataAndStat() throws Exception {
        try (TestingServer zk = new TestingServer(true);
                CuratorFramework client = CuratorFrameworkFactory.newClient(zk.getConnectString(),
                        new RetryOneTime(100))) {
            client.start();
            Map<String, byte[]> written = new HashMap<>();
            CountDownLatch created = new CountDownLatch(3 * 700);
            for (int s = 0; s < 3; s++) {
                client.create().creatingParentsIfNeeded().forPath("/services/s" + s, "not read".getBytes());
            }
            for (int i = 0; i < 3 * 700; i++) {
                String path = "/services/s" + (i % 3) + "/i" + i;
                // one large znode among small ones: the batches shrink after it instead of overflowing a response
                byte[] data = (i == 5 ? "x".repeat(300_000) : "{\"port\":" + i + "}").getBytes(StandardCharsets.UTF_8);
                written.put(path, data);
                client.create().inBackground((c, e) -> created.countDown()).forPath(path, data);
            }
            created.await(60, TimeUnit.SECONDS);

            List<ChildData> read = ZnodeTreeReader.read(client, "/services", 2, 10_000);

            assertEquals(written.size(), read.size());
            for (ChildData d : read) {
                assertArrayEquals(written.get(d.getPath()), d.getData(), d.getPath());
                assertEquals(0, d.getStat().getVersion());
            }
            assertEquals(3, ZnodeTreeReader.read(client, "/services", 1, 10_000).size());
        }
    }

    @Test
    void aMissingRootReadsAsAnEmptyTree() throws Exception {
        try (TestingServer zk = new TestingServer(true);
                CuratorFramework client = CuratorFrameworkFactory.newClient(zk.getConnectString(),
                        new RetryOneTime(100))) {
            client.start();
            assertEquals(List.of(), ZnodeTreeReader.read(client, "/nothing/here", 2, 10_000));
        }
    }
}
