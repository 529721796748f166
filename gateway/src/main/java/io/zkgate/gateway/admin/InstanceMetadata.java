package io.zkgate.gateway.admin;

import io.zkgate.schema.ServiceInstanceCodec;
import io.zkgate.schema.ValidationException;
import io.zkgate.schema.ZnodeLayout;
import java.io.Closeable;
import java.util.Map;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;

/**
 * Registered instances' string metadata ({@code payload.metadata}: zone, version, what the agent's
 * {@code --metadata} wrote) for {@code /admin/services}, read from a cache of the services tree and parsed when
 * asked, off the request path. Thread-safe: {@link CuratorCache} is, and the cache reference is volatile.
 */
public final class InstanceMetadata implements Closeable {
    private final ZnodeLayout layout;
    private volatile CuratorCache cache;

    public InstanceMetadata(ZnodeLayout layout) {
        this.layout = layout;
    }

    public void start(CuratorFramework client) {
        CuratorCache c = CuratorCache.build(client, layout.servicesPath());
        c.start();
        cache = c;
    }

    /** The metadata of instance {@code id} of {@code service}; empty when unknown or unreadable. */
    public Map<String, String> of(String service, String id) {
        CuratorCache c = cache;
        if (c == null) {
            return Map.of();
        }
        String path = layout.instancePath(service, id);
        return c.get(path).map(ChildData::getData).map(data -> {
            try {
                return ServiceInstanceCodec.parse(path, service, id, data).metadata();
            } catch (ValidationException e) {
                return Map.<String, String>of();
            }
        }).orElse(Map.of());
    }

    @Override
    public void close() {
        CuratorCache c = cache;
        if (c != null) {
            c.close();
        }
    }
}
