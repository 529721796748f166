package io.zkgate.gateway.auth;

import io.zkgate.schema.Credential;
import io.zkgate.schema.ValidationException;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The credential sets, watched under {@code {zkgateRoot}/credentials/<set>/<name>}: each change (an add, a rotation,
 * a revocation) rebuilds its set and swaps it in, so a revoked key is refused as soon as ZooKeeper's watch fires,
 * well within a second. A credential znode that fails validation is skipped with one log line naming the znode and
 * the reason; when it held a good credential before (an operator's bad edit), that last good version stays in use,
 * as a route's does, so a typo never revokes a credential: only deleting its znode does.
 * Thread-safe: the Curator thread writes, requests read one volatile map.
 */
final class CredentialStore {
    private static final Logger log = LoggerFactory.getLogger(CredentialStore.class);

    /** One credential set: API key hash to name, user name to bcrypt hash. Immutable. */
    record CredentialSet(Map<ByteBuffer, Named> keys, Map<String, String> passwords) {
        static final CredentialSet EMPTY = new CredentialSet(Map.of(), Map.of());
    }

    /** A key's name and its SHA-256. */
    record Named(String name, byte[] digest) {}

    private final String root;
    private volatile Map<String, CredentialSet> sets = Map.of();
    /** Every credential by znode path; Curator thread only. */
    private final Map<String, Credential> byPath = new HashMap<>();
    private CuratorCache cache;
    /** Whether the first full read is done, after which each change is logged; Curator thread only. */
    private boolean initialized;

    /** @param root the credentials root, or null to watch nothing */
    CredentialStore(String root) {
        this.root = root;
    }

    void start(CuratorFramework client) {
        if (root == null) {
            return;
        }
        cache = ZnodeWatch.start(client, root, this::put, old -> removed(old.getPath()), () -> {
            initialized = true;
            log.info("credentials read from {}: {} sets", root, sets.size());
        });
    }

    /** The current set of that name, empty when there is none. */
    CredentialSet set(String name) {
        CredentialSet s = sets.get(name);
        return s == null ? CredentialSet.EMPTY : s;
    }

    private void put(ChildData data) {
        String set = setOf(data.getPath());
        if (set == null) {
            return;
        }
        try {
            byPath.put(data.getPath(), Credential.parse(data.getPath(), data.getData() == null ? new byte[0]
                    : data.getData()));
        } catch (ValidationException e) {
            if (byPath.containsKey(data.getPath())) { // the message names the znode, the field and the reason
                log.warn("credential refused: {}; its last good version stays in use", e.getMessage());
            } else {
                log.warn("credential refused, not usable: {}", e.getMessage());
            }
            return; // nothing changed: the set keeps what it had
        }
        rebuild(set);
    }

    private void removed(String path) {
        String set = setOf(path);
        if (set != null && byPath.remove(path) != null) {
            rebuild(set);
        }
    }

    /** The set a credential znode belongs to, or null for the root and the set znodes themselves. */
    private String setOf(String path) {
        if (!path.startsWith(root + "/")) {
            return null;
        }
        String rest = path.substring(root.length() + 1);
        int slash = rest.indexOf('/');
        return slash <= 0 || rest.indexOf('/', slash + 1) >= 0 ? null : rest.substring(0, slash);
    }

    private void rebuild(String set) {
        String prefix = root + "/" + set + "/";
        Map<ByteBuffer, Named> keys = new HashMap<>();
        Map<String, String> passwords = new HashMap<>();
        byPath.forEach((path, c) -> {
            if (path.startsWith(prefix)) {
                String name = path.substring(prefix.length());
                if (c.isApiKey()) {
                    byte[] digest = c.digest();
                    keys.put(ByteBuffer.wrap(digest), new Named(name, digest));
                } else {
                    passwords.put(name, c.hash());
                }
            }
        });
        Map<String, CredentialSet> next = new HashMap<>(sets);
        if (keys.isEmpty() && passwords.isEmpty()) {
            next.remove(set);
        } else {
            next.put(set, new CredentialSet(Map.copyOf(keys), Map.copyOf(passwords)));
        }
        sets = Map.copyOf(next);
        if (initialized) {
            log.info("credential set '{}' now holds {} API keys and {} users", set, keys.size(), passwords.size());
        }
    }

    void close() {
        if (cache != null) {
            cache.close();
        }
    }
}
