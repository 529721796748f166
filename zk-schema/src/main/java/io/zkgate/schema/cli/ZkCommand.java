package io.zkgate.schema.cli;

import io.zkgate.schema.ZnodeLayout;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.apache.zookeeper.KeeperException;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

/**
 * The runner of every command that works on ZooKeeper: it resolves the znode layout, lets the command check its
 * arguments and local input ({@link #prepare}), connects, runs the command ({@link #run}) and closes the session.
 * Failures leave as exceptions, and {@link #exitCode} maps them to exit codes: a {@link ParameterException} is a usage
 * error (2, by picocli), a {@link CtlException} carries its own, anything else from ZooKeeper fails (1) with a
 * sentence. So a command keeps only what it does. Not thread-safe: picocli makes one instance per command line.
 */
abstract class ZkCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    private ZkgateCtl.Root root;
    private ZnodeLayout layout;

    @Override
    public final Integer call() throws Exception {
        root = ZkgateCtl.Root.of(spec);
        layout = root.layout(spec);
        prepare();
        try (Connection zk = root.connect(spec)) {
            run(zk);
        }
        return ZkgateCtl.OK;
    }

    /**
     * Checks the arguments and reads local input (files, a password) before any connection, so that a usage error or
     * a file that fails validation is reported without ZooKeeper. Does nothing unless overridden.
     */
    void prepare() throws Exception {}

    /** What the command does in ZooKeeper. */
    abstract void run(Connection zk) throws Exception;

    final ZkgateCtl.Root root() {
        return root;
    }

    final ZnodeLayout layout() {
        return layout;
    }

    final PrintWriter out() {
        return root.out();
    }

    final PrintWriter err() {
        return root.err();
    }

    /**
     * {@code value} when it can be one znode path segment, else a usage error naming {@code label}; null (an optional
     * argument not given) stays null.
     */
    final String name(String label, String value) {
        if (value != null && !ZnodeLayout.isValidName(value)) {
            throw usage(label + ": '" + value + "' (" + ZnodeLayout.nameRule() + ")");
        }
        return value;
    }

    final ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    /** The bytes of a local input file, or a failure naming it. */
    static byte[] readFile(Path file) throws CtlException {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw CtlException.failed(file + ": cannot read: " + e.getMessage());
        }
    }

    /** picocli's execution exception handler for every command: prints why it failed and returns the exit code. */
    static int exitCode(Exception ex, CommandLine commandLine, ParseResult parseResult) {
        PrintWriter w = commandLine.getErr();
        if (ex instanceof CtlException) {
            w.println("zkgate-ctl: " + ex.getMessage());
            return ((CtlException) ex).exitCode();
        }
        w.println("zkgate-ctl: " + describe(ex));
        return ZkgateCtl.FAILED;
    }

    /** An operator-readable sentence for a failure from ZooKeeper or Curator. */
    static String describe(Throwable e) {
        if (e instanceof KeeperException.NoAuthException) {
            return CtlException.notAuthorised(path(e)).getMessage();
        }
        if (e instanceof KeeperException.NoNodeException) {
            return path(e) + " does not exist (run 'zkgate-ctl init' first)";
        }
        if (e instanceof KeeperException.ConnectionLossException
                || e instanceof KeeperException.SessionExpiredException) {
            return "lost the connection to ZooKeeper; nothing more was written (run the command again)";
        }
        if (e instanceof KeeperException.AuthFailedException) {
            return "ZooKeeper refused the credentials given with --auth";
        }
        if (e instanceof KeeperException) {
            return "ZooKeeper: " + e.getMessage();
        }
        return e.toString();
    }

    private static String path(Throwable e) {
        String path = ((KeeperException) e).getPath();
        return path == null ? "the node" : path;
    }
}
