package io.zkgate.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.gateway.support.Http;
import io.zkgate.gateway.support.JarProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runnable jar itself, as a separate process: catches what the test class path hides (an embedded ZooKeeper
 * needs snappy-java and metrics-core at run time, which curator-test brings to tests).
 */
class GatewayJarIT {
    private static final Path JAR = Path.of("target", "zkgate-gateway.jar");

    @TempDir
    Path dir;

    @Test
    void theJarRunsTheDemoOnItsEmbeddedZooKeeperAndStopsCleanlyOnSigterm() throws Exception {
        int port = JarProcess.portForLater();
        int admin = JarProcess.portForLater();
        int zk = JarProcess.portForLater();
        Path log = dir.resolve("gateway.log");
        Process p = start(log, "--demo", "--port", Integer.toString(port), "--admin-port", Integer.toString(admin),
                "--embedded-zk-port", Integer.toString(zk), "--data-dir", dir.resolve("data").toString());
        try {
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
                    .until(() -> Http.get(admin, "/ready").statusCode() == 200
                            && Http.get(port, "/demo/").statusCode() == 200);
            String a = Http.get(port, "/demo/").body().trim();
            String b = Http.get(port, "/demo/").body().trim();
            assertTrue(a.startsWith("demo-") && b.startsWith("demo-"), a + " / " + b);
            assertNotEquals(a, b, "alternates between the two demo backends");
            assertTrue(Files.isDirectory(dir.resolve("data").resolve("zookeeper")));
        } finally {
            p.destroy();
        }
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "stopped within 30 s of SIGTERM");
        String out = Files.readString(log, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("embedded ZooKeeper stopped") && out.contains("zkgate stopped"), out);
        // The logging the jar sets up in code: ISO timestamps, the logger's simple name, Jetty's INFO lines off
        String stopped = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}\\S* INFO  \\[.+\\] \\w+ - zkgate stopped.*";
        assertTrue(out.lines().anyMatch(l -> l.matches(stopped)), out);
        assertFalse(out.contains("jetty-12"), out);
    }

    @Test
    void helpExitsZeroAndBadFlagsExitTwoWithUsage() throws Exception {
        Path log = dir.resolve("help.log");
        Process help = start(log, "--help");
        assertTrue(help.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, help.exitValue());
        String usage = Files.readString(log);
        for (String flag : List.of("--port", "--admin-port", "--admin-host", "--zk", "--embedded-zk-port",
                "--data-dir", "--config", "--demo")) {
            assertTrue(usage.contains(flag), "usage lists " + flag);
        }

        Process bad = start(dir.resolve("bad.log"), "--port", "eighty");
        assertTrue(bad.waitFor(30, TimeUnit.SECONDS));
        assertEquals(2, bad.exitValue());
        String err = Files.readString(dir.resolve("bad.log"));
        assertTrue(err.contains("--port") && err.contains("eighty") && err.contains("Usage:"), err);
    }

    @Test
    void theLauncherRunsTheJarNamedByZkgateJar() throws Exception {
        int port = JarProcess.portForLater();
        int admin = JarProcess.portForLater();
        int zk = JarProcess.portForLater();
        Path log = dir.resolve("launcher.log");
        ProcessBuilder pb = new ProcessBuilder(Path.of("..", "bin", "zkgate-gateway").toAbsolutePath().toString(),
                "--port", Integer.toString(port), "--admin-port", Integer.toString(admin),
                "--embedded-zk-port", Integer.toString(zk), "--data-dir", dir.resolve("l").toString())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("ZKGATE_JAR", JAR.toAbsolutePath().toString());
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process p = pb.start();
        try {
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
                    .until(() -> Http.get(admin, "/ready").statusCode() == 200);
            List<String> jvmArgs = List.of(p.info().arguments().orElseThrow());
            assertTrue(jvmArgs.contains("-XX:+UseSerialGC") && jvmArgs.contains("-Xmx256m")
                    && jvmArgs.contains("-XX:MaxNewSize=20m"), jvmArgs.toString());
            assertTrue(jvmArgs.contains("-XX:TrimNativeHeapInterval=5000"),
                    "this JVM has the flag, so the launcher passes it: " + jvmArgs);
        } finally {
            p.destroy();
        }
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
    }

    /** A JVM that refuses the native-heap trimming flag (JDK 17 before it had it) still runs the gateway. */
    @Test
    void theLauncherLeavesOutAFlagTheJvmDoesNotKnow() throws Exception {
        Path home = dir.resolve("old-jdk");
        Files.createDirectories(home.resolve("bin"));
        Path args = dir.resolve("java-args.txt");
        Path java = home.resolve("bin").resolve("java");
        Files.writeString(java, "#!/usr/bin/env bash\n"
                + "for a in \"$@\"; do case \"$a\" in -XX:TrimNativeHeapInterval=*)\n"
                + "  echo \"Unrecognized VM option '${a#-XX:}'\" >&2; exit 1;; esac; done\n"
                + "echo \"$*\" >> '" + args + "'\n"
                + "exec '" + Path.of(System.getProperty("java.home"), "bin", "java") + "' \"$@\"\n");
        assertTrue(java.toFile().setExecutable(true));
        ProcessBuilder pb = new ProcessBuilder(Path.of("..", "bin", "zkgate-gateway").toAbsolutePath().toString(),
                "--help").redirectErrorStream(true).redirectOutput(dir.resolve("help.log").toFile());
        pb.environment().put("ZKGATE_JAR", JAR.toAbsolutePath().toString());
        pb.environment().put("JAVA_HOME", home.toString());
        Process p = pb.start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        String out = Files.readString(dir.resolve("help.log"), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("Usage:"), out);
        String ran = Files.readString(args, StandardCharsets.UTF_8);
        assertTrue(ran.contains("-XX:+UseSerialGC") && !ran.contains("TrimNativeHeapInterval"), ran);
    }

    private static Process start(Path log, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m", "-jar", JAR.toAbsolutePath().toString()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }
}
