package io.zkgate.schema.cli;

import static java.util.Objects.requireNonNull;

import io.zkgate.schema.ZkAuth;
import io.zkgate.schema.ZnodeLayout;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ScopeType;

/**
 * {@code zkgate-ctl}, the operator CLI: validated, transactional edits of routes and scripts in ZooKeeper, and
 * read-only views of services and gateways. Exit codes: 0 ok, 1 failed (validation, conflict, ZooKeeper), 2 usage.
 * Not thread-safe: an instance runs one command line at a time.
 */
public final class ZkgateCtl {
    public static final int OK = 0;
    public static final int FAILED = 1;
    public static final int USAGE = 2;

    public static final String DEFAULT_ZK = "127.0.0.1:2181";
    public static final String ENV_ZK = "ZKGATE_ZK";
    public static final String ENV_AUTH = "ZKGATE_ZK_AUTH";
    public static final String ENV_ZKGATE_ROOT = "ZKGATE_ZKGATE_ROOT";
    public static final String ENV_SERVICES_ROOT = "ZKGATE_SERVICES_ROOT";

    private static final String LOGBACK_CONFIG = "zkgate-ctl-logback.xml";

    private final PrintStream out;
    private final PrintStream err;
    private final Map<String, String> env;
    private Runnable beforeCommit = () -> {};
    private InputStream stdin = System.in;

    ZkgateCtl(PrintStream out, PrintStream err, Map<String, String> env) {
        this.out = requireNonNull(out, "out");
        this.err = requireNonNull(err, "err");
        this.env = Map.copyOf(requireNonNull(env, "env"));
    }

    public static void main(String[] args) {
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", LOGBACK_CONFIG);
        }
        System.exit(run(args, System.out, System.err));
    }

    /** Runs one command line and returns its exit code; never calls {@link System#exit}. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        return new ZkgateCtl(out, err, System.getenv()).execute(args);
    }

    /** Runs {@code hook} in {@code routes apply} after the plan is printed and before it is committed. */
    ZkgateCtl beforeCommit(Runnable hook) {
        this.beforeCommit = requireNonNull(hook, "hook");
        return this;
    }

    /** Where commands read a secret from when it is not in the environment (standard input by default). */
    ZkgateCtl stdin(InputStream in) {
        this.stdin = requireNonNull(in, "in");
        return this;
    }

    InputStream stdin() {
        return stdin;
    }

    /** An environment variable, or null. */
    String env(String name) {
        return env.get(name);
    }

    int execute(String... args) {
        PrintWriter o = new PrintWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), true);
        PrintWriter e = new PrintWriter(new OutputStreamWriter(err, StandardCharsets.UTF_8), true);
        CommandLine cl = new CommandLine(new Root(this));
        cl.setOut(o);
        cl.setErr(e);
        cl.setExecutionExceptionHandler(ZkCommand::exitCode);
        int code = cl.execute(args);
        o.flush();
        e.flush();
        return code;
    }

    /** The top-level command and its global options. Not thread-safe. */
    @Command(name = "zkgate-ctl",
            mixinStandardHelpOptions = true,
            versionProvider = Root.Version.class,
            synopsisSubcommandLabel = "COMMAND",
            description = "Operator CLI of zkgate: validated, transactional route edits in ZooKeeper.",
            subcommands = {
                InitCommand.class,
                RoutesCommand.class,
                ScriptsCommand.class,
                ServicesCommand.class,
                GatewaysCommand.class,
                CredentialsCommand.class,
                JwksCommand.class
            },
            footer = {"", "Exit codes: 0 ok, 1 validation error, conflict or ZooKeeper failure, 2 usage."})
    static final class Root extends CommandGroup {
        final ZkgateCtl ctl;

        @Option(names = "--zk", paramLabel = "HOST:PORT[,...]", scope = ScopeType.INHERIT,
                description = "ZooKeeper ensemble (default: $" + ENV_ZK + ", else " + DEFAULT_ZK + ")")
        String zk;

        @Option(names = {"--auth", "--zk-auth"}, paramLabel = "USER:PASSWORD", scope = ScopeType.INHERIT,
                description = "ZooKeeper digest identity of an operator; --zk-auth as the gateway and the agent "
                        + "name it (default: $" + ENV_AUTH + ")")
        String auth;

        @Option(names = "--zkgate-root", paramLabel = "PATH", scope = ScopeType.INHERIT,
                description = "znode of routes, scripts, gateways (default: $" + ENV_ZKGATE_ROOT + ", else "
                        + ZnodeLayout.DEFAULT_ZKGATE_ROOT + ")")
        String zkgateRoot;

        @Option(names = "--services-root", paramLabel = "PATH", scope = ScopeType.INHERIT,
                description = "curator-x-discovery base path (default: $" + ENV_SERVICES_ROOT + ", else "
                        + ZnodeLayout.DEFAULT_SERVICES_ROOT + ")")
        String servicesRoot;

        @Option(names = "--connect-timeout-ms", paramLabel = "MS", scope = ScopeType.INHERIT, defaultValue = "10000",
                description = "how long to wait for ZooKeeper (default: ${DEFAULT-VALUE})")
        int connectTimeoutMs;

        Root(ZkgateCtl ctl) {
            this.ctl = ctl;
        }

        /** The top-level command of the command line that {@code spec} is part of. */
        static Root of(CommandSpec spec) {
            return (Root) spec.root().userObject();
        }

        PrintWriter out() {
            return spec.commandLine().getOut();
        }

        PrintWriter err() {
            return spec.commandLine().getErr();
        }

        Runnable beforeCommit() {
            return ctl.beforeCommit;
        }

        String connectString() {
            return firstNonBlank(zk, ctl.env.get(ENV_ZK), DEFAULT_ZK);
        }

        /** The operator identity, or null when none is given. */
        ZkAuth auth(CommandSpec caller) {
            String text = firstNonBlank(auth, ctl.env.get(ENV_AUTH), null);
            if (text == null) {
                return null;
            }
            try {
                return ZkAuth.parse(text);
            } catch (IllegalArgumentException e) {
                throw new ParameterException(caller.commandLine(), (auth != null ? "--auth/--zk-auth" : ENV_AUTH)
                        + ": (expected: user:password, both not empty)");
            }
        }

        ZnodeLayout layout(CommandSpec caller) {
            try {
                return new ZnodeLayout(
                        firstNonBlank(zkgateRoot, ctl.env.get(ENV_ZKGATE_ROOT), ZnodeLayout.DEFAULT_ZKGATE_ROOT),
                        firstNonBlank(servicesRoot, ctl.env.get(ENV_SERVICES_ROOT),
                                ZnodeLayout.DEFAULT_SERVICES_ROOT));
            } catch (IllegalArgumentException e) {
                throw new ParameterException(caller.commandLine(), e.getMessage());
            }
        }

        Connection connect(CommandSpec caller) throws CtlException {
            if (connectTimeoutMs < 1) {
                throw new ParameterException(caller.commandLine(),
                        "--connect-timeout-ms: " + connectTimeoutMs + " (expected: >= 1)");
            }
            return Connection.open(connectString(), auth(caller), connectTimeoutMs);
        }

        private static String firstNonBlank(String a, String b, String fallback) {
            if (a != null && !a.isBlank()) {
                return a.trim();
            }
            if (b != null && !b.isBlank()) {
                return b.trim();
            }
            return fallback;
        }

        /** Reads the version Maven wrote into the jar. Stateless. */
        static final class Version implements CommandLine.IVersionProvider {
            @Override
            public String[] getVersion() throws Exception {
                Properties p = new Properties();
                try (InputStream in = ZkgateCtl.class.getResourceAsStream(
                        "/META-INF/maven/io.zkgate/zkgate-zk-schema/pom.properties")) {
                    if (in != null) {
                        p.load(in);
                    }
                }
                return new String[] {"zkgate-ctl " + p.getProperty("version", "(development build)")};
            }
        }
    }
}
