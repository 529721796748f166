package io.zkgate.gateway.auth;

import java.nio.ByteBuffer;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The outcome of bcrypt checks already run, so a client presenting the same user and password again costs a SHA-256
 * and a map lookup, not another 50-100 ms of bcrypt. Keyed by the SHA-256 of set, user and password (the password
 * itself is never kept); each verdict remembers the stored hash it was checked against, so a rotated or revoked
 * password misses the cache at once. Bounded ({@link BoundedCache}). Also tracks the checks under way so one
 * credential is never checked twice at the same time.
 * Thread-safe: concurrent maps.
 */
final class VerifiedPasswords {
    /** A check's outcome against {@code hash}. */
    record Verdict(String hash, boolean ok) {}

    private final BoundedCache<Verdict> verdicts;
    private final Set<ByteBuffer> checking = ConcurrentHashMap.newKeySet();

    VerifiedPasswords(int max) {
        this.verdicts = new BoundedCache<>(max);
    }

    /** The verdict for {@code key} if it was reached against {@code hash}, else null. */
    Verdict get(ByteBuffer key, String hash) {
        Verdict v = verdicts.get(key);
        return v != null && v.hash().equals(hash) ? v : null;
    }

    void put(ByteBuffer key, Verdict verdict) {
        verdicts.put(key, verdict);
    }

    /** Whether the caller should start checking {@code key}: false while another check of it is under way. */
    boolean startCheck(ByteBuffer key) {
        return checking.add(key);
    }

    void endCheck(ByteBuffer key) {
        checking.remove(key);
    }
}
