package io.zkgate.gateway.control;

import io.zkgate.gateway.auth.AuthSources;
import io.zkgate.gateway.scripting.ScriptCatalog;
import io.zkgate.schema.ZnodeLayout;
import java.io.Closeable;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.function.Predicate;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener.Type;
import org.apache.zookeeper.KeeperException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the control path watches in ZooKeeper and how each change reaches its registry: the scripts, routes and
 * services {@link WatchedTree}s, each event handed to {@link ScriptCatalog}, {@link RouteRegistry} or {@link
 * ServiceRegistry}, a publish asked for once that tree was read in full; and the credential and key-set znodes of
 * {@link AuthSources}, watched on their own. Thread-safe: events and the trees' reads run on the control executor,
 * where the registries are confined; {@link #instanceData} and {@link #close} from any thread.
 */
final class ZooKeeperWatches implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(ZooKeeperWatches.class);

    private final ZnodeLayout layout;
    private final Executor control;
    private final ScriptCatalog scripts;
    private final RouteRegistry routes;
    private final ServiceRegistry services;
    private final AuthSources auth;
    /** Asks for a publish; called on the control thread. */
    private final Runnable publish;
    private final WatchedTree routesTree;
    private final WatchedTree servicesTree;
    /** Scripts first, so that routes bind their scripts as they are applied. */
    private final WatchedTree[] trees;
    /** Confined to the control thread. */
    private boolean scriptsSynced;
    private volatile boolean closed;
    /** Set by {@link #start}; reads the routes root after a deletion. */
    private volatile CuratorFramework client;

    /** @param publish asks for a publish; called on the {@code control} executor */
    ZooKeeperWatches(ZnodeLayout layout, Executor control, ScriptCatalog scripts, RouteRegistry routes,
            ServiceRegistry services, AuthSources auth, Runnable publish) {
        this.layout = layout;
        this.control = control;
        this.scripts = scripts;
        this.routes = routes;
        this.services = services;
        this.auth = auth;
        this.publish = publish;
        this.routesTree = new WatchedTree(layout.routesPath(), 1, control, this::onRouteEvent, () -> {
            routes.sync();
            publish.run();
        }, present -> {
            routes.retainOnly(present, routesPzxid());
            publish.run();
        });
        this.servicesTree = new WatchedTree(layout.servicesPath(), 2, control, this::onServiceEvent, () -> {
            services.sync();
            publish.run();
        }, present -> {
            services.retainOnly(present, System.nanoTime());
            publish.run();
        });
        this.trees = new WatchedTree[] {new WatchedTree(layout.scriptsPath(), 1, control, this::onScriptEvent,
                this::onScriptsSynced, this::retainScripts), routesTree, servicesTree};
    }

    /**
     * Starts watching the auth sources, then reads and watches the three trees on the control executor ({@link
     * WatchedTree#readAndWatch}); {@code allWatching} runs there once every tree's watch has read it.
     */
    void start(CuratorFramework client, long connectWaitMs, Runnable allWatching) {
        this.client = client;
        auth.start(client);
        control.execute(() -> WatchedTree.readAndWatch(trees, client, connectWaitMs, () -> closed, allWatching));
    }

    /** Whether the scripts tree was read in full; on the control thread. */
    boolean scriptsSynced() {
        return scriptsSynced;
    }

    /** The data of the instance znode at {@code path} as the services watch has it, or empty; any thread. */
    Optional<byte[]> instanceData(String path) {
        return servicesTree.get(path).map(ChildData::getData);
    }

    @Override
    public void close() {
        closed = true;
        for (WatchedTree tree : trees) {
            tree.close();
        }
        auth.close();
    }

    private void onRouteEvent(Type type, ChildData oldData, ChildData data) {
        ChildData node = type == Type.NODE_DELETED ? oldData : data;
        String id = routes.idOf(node.getPath());
        if (id == null) {
            return;
        }
        if (type == Type.NODE_DELETED) {
            routes.remove(id, node.getPath(), routesPzxid());
            readRoutesRoot();
        } else {
            routes.put(id, data);
        }
        if (routes.synced()) {
            publish.run();
        }
    }

    /**
     * Reads the routes root's children and pzxid in the background, so a deletion's zxid reaches the routes zxid that
     * {@code zkgate-ctl gateways list} compares (the watch gives no zxid for a deletion).
     */
    private void readRoutesRoot() {
        CuratorFramework zk = client;
        if (zk == null || closed) {
            return;
        }
        try {
            zk.getChildren().inBackground((c, event) -> {
                if (event.getResultCode() == KeeperException.Code.OK.intValue() && event.getStat() != null) {
                    List<String> ids = event.getChildren();
                    long pzxid = event.getStat().getPzxid();
                    control.execute(() -> {
                        routes.rootRead(ids, pzxid);
                        publish.run();
                    });
                }
            }).forPath(layout.routesPath());
        } catch (Exception e) {
            log.debug("reading {} after a route deletion failed; the next route change updates the zxid",
                    layout.routesPath(), e);
        }
    }

    /** The routes root's pzxid as the watch read it: the zxid of the last route created (deletions not followed). */
    private long routesPzxid() {
        return routesTree.get(layout.routesPath()).map(root -> root.getStat().getPzxid()).orElse(0L);
    }

    private void onServiceEvent(Type type, ChildData oldData, ChildData data) {
        if (type == Type.NODE_DELETED) {
            services.remove(oldData.getPath(), System.nanoTime());
        } else {
            services.put(data.getPath(), data.getData());
        }
        if (services.synced()) {
            publish.run();
        }
    }

    private void onScriptEvent(Type type, ChildData oldData, ChildData data) {
        String path = type == Type.NODE_DELETED ? oldData.getPath() : data.getPath();
        boolean changed = type == Type.NODE_DELETED
                ? scripts.remove(path)
                : scripts.put(path, data.getData(), data.getStat() == null ? -1 : data.getStat().getVersion());
        String name = ZnodeLayout.childName(layout.scriptsPath(), path);
        if (changed && name != null) {
            routes.markNaming(Set.of(name));
            if (scriptsSynced) {
                publish.run();
            }
        }
    }

    private void onScriptsSynced() {
        scriptsSynced = true;
        log.info("scripts synced from {}: {} scripts", layout.scriptsPath(), scripts.states().size());
        routes.markNaming(scripts.states().keySet());
        publish.run();
    }

    private void retainScripts(Predicate<String> present) {
        for (String name : Set.copyOf(scripts.states().keySet())) {
            String path = layout.scriptsPath() + "/" + name;
            if (!present.test(path)) {
                onScriptEvent(Type.NODE_DELETED, new ChildData(path, null, null), null);
            }
        }
    }
}
