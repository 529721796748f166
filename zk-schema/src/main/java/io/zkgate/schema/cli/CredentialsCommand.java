package io.zkgate.schema.cli;

import io.zkgate.schema.Credential;
import io.zkgate.schema.ValidationException;
import io.zkgate.schema.ZnodeLayout;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code credentials}: add, list and revoke the API keys and basic-auth users of the credential sets routes name in
 * {@code auth}. Secrets are stored hashed (SHA-256 for keys, bcrypt for passwords); a generated key is printed once,
 * a password is read from standard input or a named environment variable, never from the command line (where
 * {@code ps} and shell history would keep it). Not thread-safe.
 */
@Command(name = "credentials", mixinStandardHelpOptions = true, synopsisSubcommandLabel = "COMMAND",
        description = "API keys and basic-auth users of the credential sets that routes name in auth.",
        subcommands = {
            CredentialsCommand.AddKey.class,
            CredentialsCommand.AddUser.class,
            CredentialsCommand.ListCredentials.class,
            CredentialsCommand.Revoke.class
        })
final class CredentialsCommand extends CommandGroup {
    /** {@code credentials add-key}. */
    @Command(name = "add-key", mixinStandardHelpOptions = true,
            description = "Generate an API key, store its SHA-256 under SET/NAME and print the key: the only time it "
                    + "is shown. With --replace an existing key of that name is rotated.")
    static final class AddKey extends Store {
        @Parameters(index = "1", paramLabel = "NAME", description = "the client's name, forwarded to the backend")
        String name;

        @Option(names = "--replace", description = "rotate: replace the key NAME holds")
        boolean replace;

        @Override
        void prepare() {
            path(name);
        }

        @Override
        void run(Connection zk) throws Exception {
            String key = Credential.newApiKey();
            String verb = store(zk, name, Credential.apiKey(key, now()), replace);
            err().println(verb + " API key '" + name + "' in set '" + set + "'; it is shown once:");
            out().println(key);
        }
    }

    /** {@code credentials add-user}. */
    @Command(name = "add-user", mixinStandardHelpOptions = true,
            description = "Store a basic-auth user's bcrypt password hash under SET/NAME. The password is read from "
                    + "the first line of standard input, or from the environment variable --password-env names.")
    static final class AddUser extends Store {
        @Parameters(index = "1", paramLabel = "NAME", description = "user name (no ':'), forwarded to the backend")
        String name;

        @Option(names = "--password-env", paramLabel = "VAR",
                description = "read the password from this environment variable instead of standard input")
        String passwordEnv;

        @Option(names = "--replace", description = "change the password of an existing user")
        boolean replace;

        private Credential credential;

        @Override
        void prepare() throws CtlException {
            if (name.indexOf(':') >= 0) {
                throw usage("NAME: '" + name + "' (expected: no ':', which ends the user name in basic auth)");
            }
            char[] password = password();
            try {
                credential = Credential.password(password, now());
            } catch (IllegalArgumentException e) {
                throw CtlException.failed(e.getMessage());
            } finally {
                Arrays.fill(password, '\0');
            }
            path(name);
        }

        @Override
        void run(Connection zk) throws Exception {
            String verb = store(zk, name, credential, replace);
            out().println(verb + " user '" + name + "' in set '" + set + "'");
        }

        private char[] password() throws CtlException {
            String text;
            if (passwordEnv != null) {
                text = root().ctl.env(passwordEnv);
                if (text == null) {
                    throw usage("--password-env: $" + passwordEnv + " is not set");
                }
            } else {
                try {
                    text = new BufferedReader(new InputStreamReader(root().ctl.stdin(), StandardCharsets.UTF_8))
                            .readLine();
                } catch (IOException e) {
                    throw CtlException.failed("cannot read the password from standard input: " + e.getMessage());
                }
            }
            if (text == null || text.isEmpty()) {
                throw CtlException.failed("empty password (expected: the first line of standard input, or "
                        + "--password-env VAR)");
            }
            return text.toCharArray();
        }
    }

    /** {@code credentials list}. */
    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List credential names, types and creation times, of one set or of all; never a secret or "
                    + "a hash.")
    static final class ListCredentials extends ZkCommand {
        @Parameters(index = "0", paramLabel = "SET", arity = "0..1", description = "credential set (default: all)")
        String set;

        @Override
        void prepare() {
            name("SET", set);
        }

        @Override
        void run(Connection zk) throws Exception {
            CuratorFramework client = zk.client();
            ZnodeLayout layout = layout();
            List<String> sets = new ArrayList<>();
            if (set != null) {
                sets.add(set);
            } else if (client.checkExists().forPath(layout.credentialsPath()) != null) {
                sets.addAll(client.getChildren().forPath(layout.credentialsPath()));
                Collections.sort(sets);
            }
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"SET", "NAME", "TYPE", "CREATED"});
            for (String s : sets) {
                List<String> names;
                try {
                    names = new ArrayList<>(client.getChildren().forPath(layout.credentialSetPath(s)));
                } catch (KeeperException.NoNodeException e) {
                    if (set != null) {
                        throw CtlException.absent("credential set '" + s + "'", layout.credentialSetPath(s));
                    }
                    continue;
                }
                Collections.sort(names);
                for (String n : names) {
                    String path = layout.credentialPath(s, n);
                    String type;
                    String created = "-";
                    try {
                        Credential cred = Credential.parse(path, client.getData().forPath(path));
                        type = cred.type();
                        created = cred.created() == null ? "-" : cred.created();
                    } catch (ValidationException e) {
                        type = "refused: " + e.problems().get(0).field() + ": " + e.problems().get(0).reason();
                    } catch (KeeperException.NoNodeException e) {
                        continue;
                    }
                    rows.add(new String[] {s, n, type, created});
                }
            }
            Table.print(out(), rows);
        }
    }

    /** {@code credentials revoke}. */
    @Command(name = "revoke", mixinStandardHelpOptions = true,
            description = "Delete a key or user; gateways refuse it within a second.")
    static final class Revoke extends ZkCommand {
        @Parameters(index = "0", paramLabel = "SET", description = "credential set")
        String set;

        @Parameters(index = "1", paramLabel = "NAME", description = "key or user name")
        String name;

        private String path;

        @Override
        void prepare() {
            path = layout().credentialPath(name("SET", set), name("NAME", name));
        }

        @Override
        void run(Connection zk) throws Exception {
            try {
                zk.client().delete().forPath(path);
            } catch (KeeperException.NoNodeException e) {
                throw CtlException.absent("credential '" + name + "' in set '" + set + "'", path);
            } catch (KeeperException.NoAuthException e) {
                throw CtlException.notAuthorised(layout().credentialSetPath(set));
            }
            out().println("revoked '" + name + "' in set '" + set + "'");
        }
    }

    /** What {@code add-key} and {@code add-user} share: the set, and writing a credential into it. */
    abstract static class Store extends ZkCommand {
        @Parameters(index = "0", paramLabel = "SET", description = "credential set, as routes name it")
        String set;

        private String path;

        /** Checks the names and keeps the credential's path; call from {@link #prepare}. */
        final void path(String name) {
            path = layout().credentialPath(name("SET", set), name("NAME", name));
        }

        /** Writes {@code credential}; returns {@code added} or {@code replaced}. */
        final String store(Connection zk, String name, Credential credential, boolean replace) throws Exception {
            return zk.putWithTreeAcl(layout().credentialsPath(), path, credential.toJson(), replace, "'" + name
                    + "' already exists in set '" + set + "'; add --replace to rotate it, or revoke it first")
                    ? "added" : "replaced";
        }
    }

    private static String now() {
        return Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    }
}
