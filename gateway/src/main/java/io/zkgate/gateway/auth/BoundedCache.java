package io.zkgate.gateway.auth;

import java.nio.ByteBuffer;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A map of verdicts keyed by a SHA-256, bounded: past the limit an eighth of the entries, arbitrary ones, are dropped
 * (a dropped verdict is only recomputed). Keys are digests of secrets, never the secrets, so a lookup's timing
 * reveals nothing an attacker can steer. Thread-safe: a concurrent map.
 */
final class BoundedCache<V> {
    private final int max;
    private final Map<ByteBuffer, V> entries = new ConcurrentHashMap<>();

    BoundedCache(int max) {
        this.max = max;
    }

    V get(ByteBuffer key) {
        return entries.get(key);
    }

    void put(ByteBuffer key, V value) {
        if (entries.size() >= max) {
            Iterator<ByteBuffer> it = entries.keySet().iterator();
            for (int i = 0; i < Math.max(1, max / 8) && it.hasNext(); i++) {
                it.next();
                it.remove();
            }
        }
        entries.put(key, value);
    }
}
