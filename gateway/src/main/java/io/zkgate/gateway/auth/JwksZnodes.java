package io.zkgate.gateway.auth;

import com.nimbusds.jose.jwk.JWKSet;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.util.HashMap;
import java.util.Map;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Key sets an operator pins in ZooKeeper ({@code {zkgateRoot}/jwks/<name>}, a JWKS document), watched: a new
 * version applies as soon as the watch fires; one that does not parse is logged once and the last good one kept.
 * Thread-safe: the Curator thread writes, requests read one volatile map.
 */
final class JwksZnodes {
    private static final Logger log = LoggerFactory.getLogger(JwksZnodes.class);
    private static final JWKSet EMPTY = new JWKSet();

    private final String root;
    private volatile Map<String, JWKSet> sets = Map.of();
    private CuratorCache cache;

    /** @param root the jwks root, or null to watch nothing */
    JwksZnodes(String root) {
        this.root = root;
    }

    void start(CuratorFramework client) {
        if (root == null) {
            return;
        }
        cache = ZnodeWatch.start(client, root, this::put, this::deleted, null);
    }

    private void deleted(ChildData oldData) {
        String name = nameOf(oldData);
        if (name != null) {
            Map<String, JWKSet> next = new HashMap<>(sets);
            next.remove(name);
            sets = Map.copyOf(next);
            log.info("pinned key set '{}' deleted: its routes refuse every token", name);
        }
    }

    /** A live view of the pinned set of that name. */
    KeySource source(String name) {
        return new KeySource() {
            @Override
            public JWKSet keys() {
                JWKSet s = sets.get(name);
                return s == null ? EMPTY : s;
            }

            @Override
            public void unknownKey() {
                // a pinned set changes only through ZooKeeper, whose watch applies it
            }
        };
    }

    private void put(ChildData data) {
        String name = nameOf(data);
        if (name == null) {
            return;
        }
        try {
            JWKSet set = JWKSet.parse(new String(data.getData() == null ? new byte[0] : data.getData(),
                    StandardCharsets.UTF_8));
            Map<String, JWKSet> next = new HashMap<>(sets);
            next.put(name, set);
            sets = Map.copyOf(next);
            log.info("pinned key set '{}' applied: {} keys", name, set.size());
        } catch (ParseException e) {
            log.warn("{}: not a JWKS document ({}); the last good key set stays", data.getPath(), e.getMessage());
        }
    }

    private String nameOf(ChildData data) {
        String path = data.getPath();
        if (!path.startsWith(root + "/")) {
            return null;
        }
        String rest = path.substring(root.length() + 1);
        return rest.isEmpty() || rest.indexOf('/') >= 0 ? null : rest;
    }

    void close() {
        if (cache != null) {
            cache.close();
        }
    }
}
