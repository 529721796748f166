package io.zkgate.schema.cli;

import io.zkgate.schema.ZnodeLayout;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** A real ZooKeeper on a free port for the class, emptied before each test. Not thread-safe. */
abstract class ZkTestSupport {
    static final ZnodeLayout LAYOUT = ZnodeLayout.defaults();

    /** The operator identity tests lock the tree to. */
    static final String OPS = "ops:s3cret";

    static TestingServer server;
    /** Unauthenticated, like a gateway. */
    static CuratorFramework observer;
    /** Authenticated as {@link #OPS}; cleans up locked trees. */
    static CuratorFramework admin;

    /** A directory of the test's own for route files and scripts. */
    @TempDir
    Path dir;

    @BeforeAll
    static void startZooKeeper() throws Exception {
        server = new TestingServer();
        observer = CuratorFrameworkFactory.newClient(server.getConnectString(), new RetryOneTime(100));
        observer.start();
        observer.blockUntilConnected();
        admin = CuratorFrameworkFactory.builder().connectString(server.getConnectString())
                .retryPolicy(new RetryOneTime(100)).authorization("digest", OPS.getBytes(StandardCharsets.UTF_8))
                .build();
        admin.start();
        admin.blockUntilConnected();
    }

    @AfterAll
    static void stopZooKeeper() throws Exception {
        observer.close();
        admin.close();
        server.close();
    }

    @BeforeEach
    void emptyTree() throws Exception {
        for (String root : List.of(LAYOUT.zkgateRoot(), LAYOUT.servicesPath())) {
            if (admin.checkExists().forPath(root) != null) {
                admin.delete().deletingChildrenIfNeeded().forPath(root);
            }
        }
    }

    static CtlRun ctl(String... args) {
        return ctl(ctl -> ctl, args);
    }

    static CtlRun ctl(UnaryOperator<ZkgateCtl> setup, String... args) {
        List<String> all = new ArrayList<>(List.of("--zk", server.getConnectString(), "--connect-timeout-ms", "5000"));
        all.addAll(List.of(args));
        return CtlRun.of(Map.of(), setup, all.toArray(String[]::new));
    }

    static Path resource(String name) {
        try {
            return Path.of(ZkTestSupport.class.getResource("/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Path write(Path dir, String name, String content) {
        try {
            Path f = dir.resolve(name);
            Files.createDirectories(f.getParent());
            return Files.writeString(f, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every route znode's data, by id, as an observer sees it. */
    static Map<String, String> routesInZk() throws Exception {
        Map<String, String> routes = new TreeMap<>();
        for (String id : observer.getChildren().forPath(LAYOUT.routesPath())) {
            routes.put(id, new String(observer.getData().forPath(LAYOUT.routePath(id)), StandardCharsets.UTF_8));
        }
        return routes;
    }

    /** Data version of every route znode and of the routes znode itself (key ""), by id. */
    static Map<String, Integer> versionsInZk() throws Exception {
        Map<String, Integer> versions = new TreeMap<>();
        versions.put("", observer.checkExists().forPath(LAYOUT.routesPath()).getVersion());
        for (String id : observer.getChildren().forPath(LAYOUT.routesPath())) {
            Stat s = observer.checkExists().forPath(LAYOUT.routePath(id));
            versions.put(id, s.getVersion());
        }
        return versions;
    }

    static String route(String id, String prefix, String service) {
        return "id: " + id + "\nmatch:\n  pathPrefix: " + prefix + "\nservice: " + service + "\n";
    }
}
