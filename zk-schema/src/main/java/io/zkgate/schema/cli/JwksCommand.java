package io.zkgate.schema.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code jwks put}: pins a JWKS document in {@code {zkgateRoot}/jwks/<name>} for JWT routes' {@code jwksZnode}, after
 * checking it is a key set and holds no RSA or EC private key (only what verifies belongs in ZooKeeper).
 * Not thread-safe.
 */
@Command(name = "jwks", mixinStandardHelpOptions = true, synopsisSubcommandLabel = "COMMAND",
        description = "Key sets pinned in ZooKeeper for JWT routes (auth.jwt.jwksZnode).",
        subcommands = JwksCommand.Put.class)
final class JwksCommand extends CommandGroup {
    private static final Set<String> KEY_TYPES = Set.of("RSA", "EC", "oct", "OKP");
    private static final List<String> PRIVATE_MEMBERS = List.of("d", "p", "q", "dp", "dq", "qi");

    /** {@code jwks put}. */
    @Command(name = "put", mixinStandardHelpOptions = true,
            description = "Check a JWKS file and store it as the key set NAME; gateways apply it at once.")
    static final class Put extends ZkCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "key set name, as routes name it in jwksZnode")
        String name;

        @Parameters(index = "1", paramLabel = "FILE", description = "JWKS document (JSON with a \"keys\" array)")
        Path file;

        private String path;
        private byte[] content;

        @Override
        void prepare() throws CtlException {
            path = layout().jwksPath(name("NAME", name));
            content = readFile(file);
            String problem = problem(content);
            if (problem != null) {
                throw CtlException.failed(file + ": " + problem + "; key set '" + name + "' was not stored");
            }
        }

        @Override
        void run(Connection zk) throws Exception {
            boolean created = zk.putWithTreeAcl(layout().jwksPath(), path, content, true, null);
            out().println((created ? "created" : "updated") + " key set '" + name + "'");
        }
    }

    /** Why {@code content} is not a key set to pin, or null. */
    static String problem(byte[] content) {
        JsonNode tree;
        try {
            tree = new ObjectMapper().readTree(content);
        } catch (IOException e) {
            return "(document): invalid JSON";
        }
        JsonNode keys = tree == null ? null : tree.get("keys");
        if (keys == null || !keys.isArray() || keys.isEmpty()) {
            return "keys: missing or empty (expected: a JWKS, {\"keys\":[{\"kty\":...}, ...]})";
        }
        for (int i = 0; i < keys.size(); i++) {
            JsonNode k = keys.get(i);
            String kty = k.path("kty").asText("");
            if (!KEY_TYPES.contains(kty)) {
                return "keys[" + i + "].kty: '" + kty + "' (expected one of: EC, OKP, RSA, oct)";
            }
            if (!kty.equals("oct")) {
                for (String member : PRIVATE_MEMBERS) {
                    if (k.has(member)) {
                        return "keys[" + i + "]." + member + ": a private key (expected: public keys only; "
                                + "verifying needs no private part)";
                    }
                }
            }
        }
        return null;
    }
}
