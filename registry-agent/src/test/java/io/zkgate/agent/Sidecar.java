package io.zkgate.agent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The sidecar as a separate JVM, its output in files. Not thread-safe. */
final class Sidecar implements AutoCloseable {
    private final Process process;
    private final Path out;
    private final Path err;

    private Sidecar(Process process, Path out, Path err) {
        this.process = process;
        this.out = out;
        this.err = err;
    }

    /** {@code java -cp <test class path> io.zkgate.agent.AgentMain args...} */
    static Sidecar fromClassPath(Path dir, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(java(), "-Xmx64m", "-cp",
                System.getProperty("java.class.path"), AgentMain.class.getName()));
        command.addAll(List.of(args));
        return start(dir, command);
    }

    /** {@code java -jar <jar> args...} */
    static Sidecar fromJar(Path dir, Path jar, String... args) throws IOException {
        return fromJar(dir, jar, Map.of(), args);
    }

    /** {@code java -jar <jar> args...} with {@code env} as its only {@code ZKGATE_*} variables. */
    static Sidecar fromJar(Path dir, Path jar, Map<String, String> env, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(java(), "-Xmx64m", "-jar", jar.toString()));
        command.addAll(List.of(args));
        return start(dir, command, env);
    }

    private static Sidecar start(Path dir, List<String> command) throws IOException {
        return start(dir, command, Map.of());
    }

    private static Sidecar start(Path dir, List<String> command, Map<String, String> env) throws IOException {
        Path out = Files.createTempFile(dir, "sidecar", ".out");
        Path err = Files.createTempFile(dir, "sidecar", ".err");
        ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("ZKGATE_"));
        pb.environment().putAll(env);
        return new Sidecar(pb.start(), out, err);
    }

    private static String java() {
        return Paths.get(System.getProperty("java.home"), "bin", "java").toString();
    }

    Process process() {
        return process;
    }

    String stdout() throws IOException {
        return Files.readString(out, StandardCharsets.UTF_8);
    }

    String stderr() throws IOException {
        return Files.readString(err, StandardCharsets.UTF_8);
    }

    /** Both outputs, for assertion messages. */
    String output() {
        try {
            return "--- stdout\n" + stdout() + "--- stderr\n" + stderr();
        } catch (IOException e) {
            return e.toString();
        }
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }
}
