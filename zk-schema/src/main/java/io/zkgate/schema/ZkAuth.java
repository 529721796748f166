package io.zkgate.schema;

import static java.util.Objects.requireNonNull;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import org.apache.zookeeper.data.Id;

/**
 * A ZooKeeper digest identity, written {@code user:password} (the password may itself contain ':'). The same form
 * is used by the CLI's {@code --auth}, and is meant for the gateway's and agent's {@code --zk-auth} and
 * {@code ZKGATE_ZK_AUTH}. Immutable; {@link #toString()} hides the password.
 *
 * @param user     user name, not empty, without ':'
 * @param password password, not empty
 */
public record ZkAuth(String user, String password) {
    public static final String SCHEME = "digest";

    public ZkAuth {
        requireNonNull(user, "user");
        requireNonNull(password, "password");
        if (user.isEmpty() || user.indexOf(':') >= 0 || password.isEmpty()) {
            throw new IllegalArgumentException("auth: (expected: user:password, both not empty)");
        }
    }

    /** Parses {@code user:password}; the message of the exception never contains the password. */
    public static ZkAuth parse(String text) {
        int colon = text == null ? -1 : text.indexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            throw new IllegalArgumentException("auth: (expected: user:password, both not empty)");
        }
        return new ZkAuth(text.substring(0, colon), text.substring(colon + 1));
    }

    /** What {@code addAuthInfo("digest", ...)} takes. */
    public byte[] authBytes() {
        return (user + ":" + password).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The ACL id this identity matches: {@code digest:user:base64(sha1(user:password))}, as ZooKeeper's
     * DigestAuthenticationProvider computes it with its default algorithm.
     */
    public Id id() {
        try {
            byte[] sha1 = MessageDigest.getInstance("SHA-1").digest(authBytes());
            return new Id(SCHEME, user + ":" + Base64.getEncoder().encodeToString(sha1));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("cannot happen: every JVM has SHA-1", e);
        }
    }

    @Override
    public String toString() {
        return "ZkAuth[user=" + user + ", password=***]";
    }
}
