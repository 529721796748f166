package io.zkgate.gateway.support;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A runnable jar started as a separate process with its output (stdout and stderr) in a file, as an operator runs
 * it. Confined to the test thread that made it.
 */
public final class JarProcess implements AutoCloseable {
    private final Process process;
    private final Path log;

    private JarProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** Starts {@code java -Xmx128m -jar jar args...} with {@code env} as its only {@code ZKGATE_*} variables. */
    public static JarProcess start(Path jar, Path log, Map<String, String> env, String... args) throws IOException {
        return start(jar, log, List.of("-Xmx128m"), env, args);
    }

    /** Starts {@code java jvmOptions... -jar jar args...} with {@code env} as its only {@code ZKGATE_*} variables. */
    public static JarProcess start(Path jar, Path log, List<String> jvmOptions, Map<String, String> env,
            String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-jar", jar.toAbsolutePath().toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("ZKGATE_"));
        pb.environment().putAll(env);
        return new JarProcess(pb.start(), log);
    }

    /** A port nothing listens on right now. */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /**
     * A port for a server the test starts, or stops and restarts, after naming the port to a client that retries it
     * (a ZooKeeper that comes after the gateway, or goes away for a while). It lies below the kernel's ephemeral ports (32768 and up by default): a port from {@link
     * #freePort} can meanwhile become an outgoing connection's source port, even that client's own attempt on it (a
     * TCP self-connect), and then ZooKeeper's test server cannot bind it and exits the JVM.
     */
    public static int portForLater() throws IOException {
        for (int attempt = 1; ; attempt++) {
            int port = 20_000 + ThreadLocalRandom.current().nextInt(12_000);
            try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                return port;
            } catch (IOException busy) {
                if (attempt == 100) {
                    throw busy;
                }
            }
        }
    }

    /** Waits for the process to exit by itself (a generous bound) and returns its exit code. */
    public int exitCode() throws InterruptedException {
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("still running after 60 s:\n" + output());
        }
        return process.exitValue();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public long pid() {
        return process.pid();
    }

    /** Everything it printed so far. */
    public String output() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    /** SIGTERM, then waits for the exit; returns the exit code. */
    public int stop() throws InterruptedException {
        process.destroy();
        return exitCode();
    }

    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
