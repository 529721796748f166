package io.zkgate.schema;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Locale;
import java.util.regex.Pattern;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;

/**
 * One entry of a credential set, the JSON of {@code {zkgateRoot}/credentials/<set>/<name>}: an API key kept as its
 * SHA-256 ({@code {"type":"apiKey","hash":"<64 hex>"}}) or a basic-auth password kept as a bcrypt hash
 * ({@code {"type":"basic","hash":"$2b$10$..."}}); the secret itself is never stored. Also the hashing both sides
 * share: {@code zkgate-ctl} makes the hashes, the gateway checks against them. Immutable; the static methods are
 * thread-safe.
 *
 * @param type    {@link #API_KEY} or {@link #BASIC}
 * @param hash    lower-case hex SHA-256 of the key, or a bcrypt hash of the password
 * @param created when it was added (ISO-8601), or null
 */
public record Credential(String type, String hash, String created) {
    public static final String API_KEY = "apiKey";
    public static final String BASIC = "basic";
    /** bcrypt's cost (2^10 rounds, some 50-100 ms per check): slow for a guesser, cached by the gateway. */
    public static final int BCRYPT_COST = 10;
    /** bcrypt reads at most 72 bytes of a password. */
    public static final int MAX_PASSWORD_BYTES = 72;

    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern BCRYPT = Pattern.compile("\\$2[aby]\\$(0[4-9]|[12][0-9]|3[01])\\$[./A-Za-z0-9]{53}");
    private static final SecureRandom RANDOM = new SecureRandom();

    public Credential {
        requireNonNull(type, "type");
        requireNonNull(hash, "hash");
    }

    public boolean isApiKey() {
        return API_KEY.equals(type);
    }

    /** Reads and checks a credential znode's JSON; problems name {@code source}. */
    public static Credential parse(String source, byte[] json) throws ValidationException {
        JsonNode tree;
        try {
            tree = RouteCodec.JSON.readTree(json);
        } catch (IOException e) {
            throw new ValidationException(new Problem(source, "(document)", "invalid JSON"));
        }
        if (tree == null || !tree.isObject()) {
            throw new ValidationException(new Problem(source, "(document)", "not an object (expected: {\"type\":"
                    + "\"apiKey\",\"hash\":\"<sha-256 hex>\"} or {\"type\":\"basic\",\"hash\":\"<bcrypt>\"})"));
        }
        String type = tree.path("type").asText("");
        String hash = tree.path("hash").asText("");
        String created = tree.hasNonNull("created") ? tree.get("created").asText() : null;
        if (API_KEY.equals(type)) {
            if (!SHA256_HEX.matcher(hash).matches()) {
                throw new ValidationException(new Problem(source, "hash", "not a SHA-256 (expected: 64 lower-case "
                        + "hex digits)"));
            }
        } else if (BASIC.equals(type)) {
            if (!BCRYPT.matcher(hash).matches()) {
                throw new ValidationException(new Problem(source, "hash", "not a bcrypt hash (expected: $2b$<cost>$"
                        + "<53 characters>)"));
            }
        } else {
            throw new ValidationException(new Problem(source, "type", "'" + type + "' (expected: apiKey or basic)"));
        }
        return new Credential(type, hash, created);
    }

    public byte[] toJson() {
        ObjectNode n = RouteCodec.JSON.createObjectNode();
        n.put("type", type);
        n.put("hash", hash);
        if (created != null) {
            n.put("created", created);
        }
        try {
            return RouteCodec.JSON.writeValueAsBytes(n);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot happen: a small object always serializes", e);
        }
    }

    /** A new random API key: 32 random bytes, base64url, prefixed {@code zk_} so it is recognisable in a leak scan. */
    public static String newApiKey() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return "zk_" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** The SHA-256 of a key's UTF-8 bytes. */
    public static byte[] sha256(String secret) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    /** The stored form of an API key. */
    public static Credential apiKey(String key, String created) {
        return new Credential(API_KEY, HexFormat.of().formatHex(sha256(key)), created);
    }

    /** The stored form of a password: bcrypt with a fresh salt. */
    public static Credential password(char[] password, String created) {
        if (new String(password).getBytes(StandardCharsets.UTF_8).length > MAX_PASSWORD_BYTES) {
            throw new IllegalArgumentException("password: longer than " + MAX_PASSWORD_BYTES
                    + " bytes (bcrypt reads no more)");
        }
        byte[] salt = new byte[16];
        RANDOM.nextBytes(salt);
        return new Credential(BASIC, OpenBSDBCrypt.generate("2b", password, salt, BCRYPT_COST), created);
    }

    /** Whether {@code password} matches a bcrypt hash; slow by design, and false for anything malformed. */
    public static boolean bcryptMatches(String bcryptHash, char[] password) {
        try {
            return OpenBSDBCrypt.checkPassword(bcryptHash, password);
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** The API key hash as bytes. */
    public byte[] digest() {
        return HexFormat.of().parseHex(hash.toLowerCase(Locale.ROOT));
    }
}
