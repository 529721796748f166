package io.zkgate.gateway.auth;

import java.util.function.Consumer;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;

/**
 * The watch the auth sources keep on their root (credential sets, pinned key sets): a {@link CuratorCache} whose
 * events go to one handler for a znode written (created or changed) and one for a znode deleted, all on Curator's
 * thread. Stateless.
 */
final class ZnodeWatch {
    private ZnodeWatch() {}

    /**
     * Starts watching {@code root}; the caller closes the returned cache.
     *
     * @param initialized runs once the first full read is done; null for nothing
     */
    static CuratorCache start(CuratorFramework client, String root, Consumer<ChildData> written,
            Consumer<ChildData> deleted, Runnable initialized) {
        CuratorCache cache = CuratorCache.build(client, root);
        cache.listenable().addListener(CuratorCacheListener.builder().forAll((type, oldData, data) -> {
            if (type == CuratorCacheListener.Type.NODE_DELETED) {
                deleted.accept(oldData);
            } else {
                written.accept(data);
            }
        }).forInitialized(initialized == null ? () -> { } : initialized).build());
        cache.start();
        return cache;
    }
}
