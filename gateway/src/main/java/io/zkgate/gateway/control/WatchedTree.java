package io.zkgate.gateway.control;

import java.io.Closeable;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener.Type;
import org.apache.zookeeper.KeeperException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One ZooKeeper tree the control path follows (routes, services or scripts): read first in batches ({@link
 * ZnodeTreeReader}), which serves a large table in a fraction of the time a {@link CuratorCache}'s own initial read
 * takes, then watched by a cache. The cache's initial read repeats every znode as an event, which the registries
 * take as no-ops for znodes they already hold; once it is complete, whatever was deleted between the two reads is
 * removed. Without a batched read the cache's read alone syncs the tree, as before.
 * Events reach the registry on the control executor. Thread-safe: {@link #get} and {@link #close} from any thread.
 */
final class WatchedTree implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(WatchedTree.class);

    private final String root;
    private final int depth;
    private final Executor control;
    private final CuratorCacheListener events;
    private final Runnable synced;
    private final Consumer<Predicate<String>> retainOnly;
    private volatile CuratorCache cache;

    /**
     * @param depth      how many levels under the root the znodes of interest sit (instances: 2)
     * @param events     each znode created, changed or deleted
     * @param synced     the first read of the tree is complete
     * @param retainOnly after a batched read, the watch's read is complete: keep only the znodes it holds
     */
    WatchedTree(String root, int depth, Executor control, CuratorCacheListener events, Runnable synced,
            Consumer<Predicate<String>> retainOnly) {
        this.root = root;
        this.depth = depth;
        this.control = control;
        this.events = events;
        this.synced = synced;
        this.retainOnly = retainOnly;
    }

    /**
     * Reads every tree in batches and hands each to its registry, in order; then starts every watch, unless {@code
     * closed} by then; {@code allWatching} runs once every watch has read its tree. Should a batched read fail, no tree is applied and the watches' own reads sync them. Runs on
     * the control thread; blocks for the reads.
     */
    static void readAndWatch(WatchedTree[] trees, CuratorFramework client, long connectWaitMs,
            BooleanSupplier closed, Runnable allWatching) {
        long start = System.nanoTime();
        List<List<ChildData>> read = new ArrayList<>();
        try {
            for (WatchedTree tree : trees) {
                read.add(ZnodeTreeReader.read(client, tree.root, tree.depth, connectWaitMs));
            }
        } catch (Exception e) {
            log.info("batched read of {} not possible ({}); reading znode by znode", trees[read.size()].root,
                    e instanceof KeeperException k ? "ZooKeeper: " + k.code() : String.valueOf(e.getMessage()));
            read = null;
        }
        if (read != null) {
            StringBuilder counts = new StringBuilder();
            for (int i = 0; i < trees.length; i++) {
                WatchedTree tree = trees[i];
                read.get(i).forEach(node -> tree.events.event(Type.NODE_CREATED, null, node));
                tree.synced.run();
                counts.append(i == 0 ? "" : ", ").append(read.get(i).size()).append(" under ").append(tree.root);
            }
            log.info("read in batches in {} ms: {}", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start), counts);
        }
        int[] watching = {0};
        Runnable watched = () -> {
            if (++watching[0] == trees.length) {
                log.info("watching {} trees", trees.length);
                allWatching.run();
            }
        };
        for (WatchedTree tree : trees) {
            if (!closed.getAsBoolean()) {
                tree.watch(client, read != null, watched);
            }
        }
    }

    /** Starts the watch; {@code afterBatchedRead}: the tree was applied from a batched read first. */
    private void watch(CuratorFramework client, boolean afterBatchedRead, Runnable watched) {
        CuratorCache c = CuratorCache.build(client, root);
        Runnable initialized = () -> {
            if (afterBatchedRead) {
                retainOnly.accept(path -> c.get(path).isPresent());
            } else {
                synced.run();
            }
            watched.run();
        };
        c.listenable().addListener(CuratorCacheListener.builder().forAll(events).forInitialized(initialized).build(),
                control);
        cache = c;
        c.start();
    }

    /** The znode at {@code path} as the watch holds it, or empty. */
    Optional<ChildData> get(String path) {
        CuratorCache c = cache;
        return c == null ? Optional.empty() : c.get(path);
    }

    @Override
    public void close() {
        CuratorCache c = cache;
        if (c != null) {
            c.close();
        }
    }
}
