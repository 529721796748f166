package io.zkgate.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.zkgate.gateway.support.CpuAccount;
import io.zkgate.gateway.support.GcPauses;
import io.zkgate.gateway.support.Http;
import io.zkgate.gateway.support.JarProcess;
import io.zkgate.gateway.support.RawHttp;
import io.zkgate.gateway.support.TestBackend;
import io.zkgate.gateway.support.ZkWriter;
import io.zkgate.schema.ServiceInstance;
import io.zkgate.schema.ServiceInstanceCodec;
import io.zkgate.schema.ZnodeLayout;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.curator.retry.RetryOneTime;
import org.apache.zookeeper.CreateMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fleet-sized table on a real ZooKeeper server in its own process: 10,000 routes and 20,000 instances over 2,000 services are written first,
 * then the gateway jar is started with the shipped launcher ({@code bin/zkgate-gateway}) and followed: how long it
 * takes to serve the whole table and its RSS; then, once its data path has served traffic (so the JIT has compiled
 * it, as in a gateway in service), how long one instance event's publish takes, over the first 256 events and over
 * the last 256 of 2,000 (the JIT compiles the control path meanwhile); then how soon each of 30 new registrations
 * (after 5 untimed ones) is routable (znode create to the first 200 through the gateway; the service znode exists,
 * its route answers 503 until then). The figures are printed (lines starting {@code FLEET}) for loadtest/README.md, not asserted beyond generous
 * bounds. Takes minutes, so it runs only with {@code -Dzkgate.scale=true} and after {@code mvn package} (it needs
 * the gateway jar). {@code -Dzkgate.fleet.events=N} sets the create-delete pairs (1,000), {@code
 * -Dzkgate.fleet.log=FILE} where the gateway's output goes (to follow it or attach a profiler).
 *
 * <p>Each run also says which stop-the-world collections overlapped the timed parts: the gateway's and the ZooKeeper
 * server's from their GC logs (wall-clock times), the test's own JVM's from its collectors' accumulated time. A
 * figure over its target can then be read against them without another run. For the slowest trial and any over 15
 * ms it also says what the machine did meanwhile ({@link CpuAccount}): how long each of the three processes ran and
 * waited for a core, their major page faults, and the CPU every other process took.
 */
@EnabledIfSystemProperty(named = "zkgate.scale", matches = "true")
class FleetScaleTest {
    private static final int SERVICES = 2_000;
    private static final int INSTANCES_PER_SERVICE = 10;
    private static final int ROUTES = 10_000;
    private static final int TRIALS = 30;
    /**
     * Registrations made before the timed ones, untimed: a service's first instance runs control-path code (an empty
     * service filled, its routes' first balancer) that the instance events never ran, which a gateway in service has
     * long since compiled. Their times are printed apart.
     */
    private static final int WARM_TRIALS = 5;
    /** Create-delete pairs of one instance: publishes are timed over the first 256 events and the last 256. */
    private static final int EVENTS = Integer.getInteger("zkgate.fleet.events", 1_000);
    private static final int PUBLISH_WINDOW = 256;
    /**
     * Between two polls of a trial's route, so that the probe (one keep-alive connection, in the test's JVM, beside the
     * operator's client) does not take a core from the parts being timed. Adds at most this much to a figure.
     */
    private static final long POLL_PAUSE_NANOS = TimeUnit.MICROSECONDS.toNanos(200);
    private static final String[] POLICIES = {"\"round_robin\"", "\"least_request\"",
        "\"consistent_hash\",\"hashKey\":\"header:X-User\"", "\"weighted_round_robin\""};

    @Test
    void aFleetSizedTableIsServedAndEachNewRegistrationIsFollowedQuickly(@TempDir Path dir) throws Exception {
        ZnodeLayout layout = ZnodeLayout.defaults();
        Path zkData = zkDataDirectory(dir);
        try (ZooKeeperProcess zk = new ZooKeeperProcess(zkData);
                CuratorFramework operator = CuratorFrameworkFactory.newClient(zk.connectString(),
                        new RetryOneTime(200));
                TestBackend real = TestBackend.start("real")) {
            operator.start();
            long writing = System.nanoTime();
            List<CuratorOp> ops = new ArrayList<>();
            for (int s = 0; s < SERVICES; s++) {
                ops.add(operator.transactionOp().create().forPath(layout.servicePath("s" + s)));
            }
            for (int s = 0; s < SERVICES; s++) {
                for (int i = 0; i < INSTANCES_PER_SERVICE; i++) {
                    ops.add(operator.transactionOp().create().withMode(CreateMode.EPHEMERAL)
                            .forPath(layout.instancePath("s" + s, "i" + i), instance("s" + s, "i" + i,
                                    10_000 + (s * INSTANCES_PER_SERVICE + i) % 50_000)));
                }
            }
            operator.create().creatingParentsIfNeeded().forPath(layout.routesPath());
            operator.create().creatingParentsIfNeeded().forPath(layout.servicesPath());
            for (int r = 0; r < ROUTES; r++) {
                ops.add(operator.transactionOp().create().forPath(layout.routePath("r" + r), bytes("{\"id\":\"r"
                        + r + "\",\"match\":{\"pathPrefix\":\"/t" + r % 100 + "/r" + r + "\"},\"service\":\"s"
                        + r % SERVICES + "\",\"lb\":{\"policy\":" + POLICIES[r % POLICIES.length] + "}}")));
            }
            for (int t = -WARM_TRIALS; t < TRIALS; t++) {
                ops.add(operator.transactionOp().create().forPath(layout.routePath("trial" + t),
                        bytes(ZkWriter.route("trial" + t, "/trial" + t, "trial" + t))));
                ops.add(operator.transactionOp().create().forPath(layout.servicePath("trial" + t)));
            }
            ops.add(operator.transactionOp().create().forPath(layout.routePath("real"),
                    bytes(ZkWriter.route("real", "/real", "real"))));
            ops.add(operator.transactionOp().create().forPath(layout.servicePath("real")));
            ops.add(operator.transactionOp().create().withMode(CreateMode.EPHEMERAL)
                    .forPath(layout.instancePath("real", "1"), instance("real", "1", real.port())));
            for (int from = 0; from < ops.size(); from += 1_000) {
                operator.transaction().forOperations(ops.subList(from, Math.min(ops.size(), from + 1_000)));
            }
            long writtenMs = ms(writing);

            int port = JarProcess.portForLater(); // polled below while the gateway's JVM starts
            int admin = JarProcess.portForLater();
            long launched = System.nanoTime();
            Path gatewayGc = dir.resolve("gateway-gc.log");
            ProcessBuilder launcher = new ProcessBuilder(Path.of("..", "bin", "zkgate-gateway").toAbsolutePath()
                    .toString(), "--zk", zk.connectString(), "--port", Integer.toString(port), "--admin-port",
                    Integer.toString(admin), "--admin-host", "127.0.0.1")
                    .redirectErrorStream(true).redirectOutput(Path.of(System.getProperty("zkgate.fleet.log",
                            dir.resolve("gateway.log").toString())).toFile());
            launcher.environment().merge("ZKGATE_JAVA_OPTS", GcPauses.logOption(gatewayGc), (a, b) -> a + " " + b);
            Process gateway = launcher.start();
            CpuAccount threads = null;
            try {
                await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(20)).ignoreExceptions()
                        .until(() -> {
                            JsonNode snap = Http.json(admin, "/admin/status").path("snapshot");
                            return snap.path("synced").asBoolean()
                                    && snap.path("routes").asInt() == ROUTES + WARM_TRIALS + TRIALS + 1
                                    && snap.path("services").asInt() == SERVICES + 1;
                        });
                assertEquals(200, Http.get(port, "/real/").statusCode());
                long servedMs = ms(launched);
                long rssLoaded = rssKb(gateway.pid());
                // Registrations are timed once the watches follow the tree too (the table is served before that)
                await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(20)).ignoreExceptions()
                        .until(() -> !Http.json(admin, "/admin/status").path("zookeeper").path("watchingSince")
                                .isNull());
                long watchingMs = ms(launched);

                // The data path is warmed first, as in a gateway in service: the JIT has compiled what a request uses,
                // answers from a backend and the 503s of routes whose service has no instance yet (the probe's polls
                // during a trial). Warmed on 200s alone, the trials' first 503s deoptimized the compiled routing code.
                // The admin port is read meanwhile too, as monitoring does: its connections run through the same Jetty
                // selector, parser and flusher code as the data path's, and when the test's first reads of it came
                // during the trials, the compiled code met its second type there and C2 recompiled it then.
                long warm = System.nanoTime();
                int warmed = 0;
                try (RawHttp.KeepAlive probe = new RawHttp.KeepAlive(port)) {
                    while (warmed < 20_000 && System.nanoTime() - warm < TimeUnit.SECONDS.toNanos(10)) {
                        boolean backend = warmed % 4 != 3;
                        assertEquals(backend ? 200 : 503, probe.get(backend ? "/real/"
                                : "/trial" + (warmed / 4 % (WARM_TRIALS + TRIALS) - WARM_TRIALS) + "/"));
                        if (warmed % 50 == 0) {
                            Http.json(admin, "/admin/status");
                        }
                        warmed++;
                    }
                }
                long warmMs = ms(warm);
                threads = new CpuAccount(); // the threads of the three processes, compilers included, now all started
                for (int i = 0; i < 300; i++) { // compiled now: C2 compiling it during the first trials took a core
                    threads.sample();
                }

                CpuAccount.Sample eventsCpu = threads.sample();
                String[] publish = new String[2];
                Instant eventsStart = Instant.now();
                Instant lastWindow = eventsStart;
                for (int e = 0; e < EVENTS; e++) {
                    if (e == EVENTS - PUBLISH_WINDOW / 2) {
                        lastWindow = Instant.now();
                    }
                    String instance = layout.instancePath("s" + e % SERVICES, "extra");
                    operator.create().withMode(CreateMode.EPHEMERAL)
                            .forPath(instance, instance("s" + e % SERVICES, "extra", 60_000));
                    Thread.sleep(5);
                    operator.delete().forPath(instance);
                    Thread.sleep(5);
                    if (e == PUBLISH_WINDOW / 2 - 1 || e == EVENTS - 1) {
                        Thread.sleep(200);
                        publish[e == EVENTS - 1 ? 1 : 0] = publishQuantiles(Http.metrics(admin));
                    }
                }
                Instant eventsEnd = Instant.now();
                CpuAccount.Span eventsSpan = CpuAccount.between(eventsCpu, threads.sample());

                long[] trials = new long[TRIALS];
                long[] creates = new long[TRIALS];
                long[] afterCreates = new long[TRIALS];
                StringBuilder inOrder = new StringBuilder();
                StringBuilder warmTrials = new StringBuilder();
                Instant[][] trialSpans = new Instant[TRIALS][];
                long[] toPublish = new long[TRIALS];
                long[] toFirst200 = new long[TRIALS];
                long[] testGcMs = new long[TRIALS];
                CpuAccount.Span[] trialCpu = new CpuAccount.Span[TRIALS];
                long sampleNs = 0;
                CpuAccount.Sample trialsCpu = null;
                try (RawHttp.KeepAlive probe = new RawHttp.KeepAlive(port)) {
                    for (int t = -WARM_TRIALS; t < TRIALS; t++) {
                        if (t == 0) {
                            trialsCpu = threads.sample();
                        }
                        String path = "/trial" + t + "/";
                        long gcBefore = GcPauses.ownCollectionMs();
                        long sampling = System.nanoTime();
                        CpuAccount.Sample cpuBefore = threads.sample();
                        sampleNs = t < 0 ? 0 : Math.max(sampleNs, System.nanoTime() - sampling);
                        Instant began = Instant.now();
                        long created = System.nanoTime();
                        operator.create().withMode(CreateMode.EPHEMERAL)
                                .forPath(layout.instancePath("trial" + t, "1"), instance("trial" + t, "1", real.port()));
                        long create = System.nanoTime() - created;
                        while (probe.get(path) != 200) {
                            assertTrue(System.nanoTime() - created < TimeUnit.SECONDS.toNanos(30), "routable in 30 s");
                            LockSupport.parkNanos(POLL_PAUSE_NANOS);
                        }
                        long routable = System.nanoTime() - created;
                        if (t >= 0) {
                            Instant first200 = Instant.now();
                            trialCpu[t] = CpuAccount.between(cpuBefore, threads.sample());
                            trialSpans[t] = new Instant[] {began, first200};
                            testGcMs[t] = GcPauses.ownCollectionMs() - gcBefore;
                            // The publish that made the instance routable began at the gateway's last update
                            Instant published = Instant.parse(Http.json(admin, "/admin/status").path("zookeeper")
                                    .path("lastUpdate").asText());
                            toPublish[t] = Duration.between(began, published).toNanos();
                            toFirst200[t] = Duration.between(published, first200).toNanos();
                        }
                        (t < 0 ? warmTrials : inOrder).append(t == -WARM_TRIALS || t == 0 ? "" : " ")
                                .append(Math.round(routable / 1e5) / 10.0);
                        if (t >= 0) {
                            creates[t] = create;
                            trials[t] = routable;
                            afterCreates[t] = routable - create;
                        }
                        Thread.sleep(50);
                    }
                }
                CpuAccount.Span trialsSpan = CpuAccount.between(trialsCpu, threads.sample());
                long rssAfter = rssKb(gateway.pid());
                int slowestTrial = slowest(trials);
                System.out.println("FLEET ZooKeeper's data directory: " + (zkData.startsWith("/dev/shm")
                        ? "a RAM disk (a dedicated log device's stand-in)" : "the temporary directory's disk"));
                System.out.printf("FLEET %d routes, %d instances over %d services: written in %d ms; gateway launched"
                        + " to serving the whole table in %d ms, to watching it in %d ms; RSS %d MB loaded, %d MB after"
                        + " %d events%n", ROUTES + WARM_TRIALS + TRIALS + 1, SERVICES * INSTANCES_PER_SERVICE + 1,
                        SERVICES + 1, writtenMs, servedMs, watchingMs, rssLoaded / 1024, rssAfter / 1024,
                        WARM_TRIALS + TRIALS + 2 * EVENTS);
                System.out.printf("FLEET data path warmed with %d requests in %d ms%n", warmed, warmMs);
                System.out.println("FLEET publish per instance event, the first 256 events: " + publish[0]);
                System.out.println("FLEET publish per instance event, the last 256 of " + 2 * EVENTS + ": " + publish[1]);
                System.out.println("FLEET the gateway's busiest threads during the events, CPU ms: "
                        + eventsSpan.busiest(gateway.pid(), 6, 1));
                System.out.println("FLEET the gateway's busiest threads during the " + TRIALS + " timed registrations,"
                        + " CPU ms: " + trialsSpan.busiest(gateway.pid(), 6, 1));
                System.out.printf("FLEET one new registration routable (create to first 200): p50 %.1f ms, p99 %.1f"
                        + " ms, max %.1f ms over %d trials%n", quantile(trials, 0.5), quantile(trials, 0.99),
                        quantile(trials, 1), TRIALS);
                System.out.println("FLEET each trial in order, ms: " + inOrder + " (the slowest created at "
                        + trialSpans[slowestTrial][0] + ", to match with GC logs)");
                System.out.println("FLEET the " + WARM_TRIALS + " untimed registrations before them, ms: " + warmTrials);
                System.out.printf("FLEET of which the create's own ZooKeeper round trip: p50 %.1f ms, max %.1f ms (sent"
                        + " at %s)%n", quantile(creates, 0.5), quantile(creates, 1), trialSpans[slowest(creates)][0]);
                System.out.printf("FLEET from the create's answer to the first 200 (the watch's event, the gateway's"
                        + " read and publish, the probe): p50 %.1f ms, p99 %.1f ms%n", quantile(afterCreates, 0.5),
                        quantile(afterCreates, 0.99));
                System.out.printf("FLEET each trial split at the gateway's publish: from the create's sending to it (the"
                        + " create reaching ZooKeeper, its notification, the gateway's read of the znode, its control"
                        + " thread) p50 %.1f ms, max %.1f ms; from it to the first 200 (the probe's next poll) p50 %.1f"
                        + " ms, max %.1f ms; the slowest trial: the create's round trip %.1f ms, to the publish %.1f ms,"
                        + " from it to the first 200 %.1f ms%n", quantile(toPublish, 0.5),
                        quantile(toPublish, 1), quantile(toFirst200, 0.5), quantile(toFirst200, 1),
                        creates[slowestTrial] / 1e6, toPublish[slowestTrial] / 1e6, toFirst200[slowestTrial] / 1e6);
                List<GcPauses.Pause> gatewayPauses = GcPauses.read(gatewayGc);
                List<GcPauses.Pause> zkPauses = GcPauses.read(zk.gcLog());
                System.out.println("FLEET collections overlapping the " + TRIALS + " timed trials: the gateway's "
                        + GcPauses.during(gatewayPauses, trialSpans) + ", ZooKeeper's "
                        + GcPauses.during(zkPauses, trialSpans) + ", the test's " + Arrays.stream(testGcMs).sum()
                        + " ms in all; in the slowest trial: the gateway's "
                        + GcPauses.during(gatewayPauses, trialSpans[slowestTrial]) + ", ZooKeeper's "
                        + GcPauses.during(zkPauses, trialSpans[slowestTrial]) + ", the test's "
                        + testGcMs[slowestTrial] + " ms");
                Map<String, Long> processes = new LinkedHashMap<>();
                processes.put("the gateway", gateway.pid());
                processes.put("ZooKeeper", zk.pid());
                processes.put("the test", ProcessHandle.current().pid());
                for (int t = 0; t < TRIALS; t++) {
                    if (t == slowestTrial || trials[t] > TimeUnit.MILLISECONDS.toNanos(15)) {
                        System.out.printf("FLEET trial %d (%.1f ms), meanwhile (the machine's counters read in at most"
                                + " %.2f ms before and after): %s%n", t, trials[t] / 1e6, sampleNs / 1e6,
                                trialCpu[t].describe(processes));
                    }
                }
                System.out.println("FLEET the gateway's collections during the last " + PUBLISH_WINDOW + " events: "
                        + GcPauses.during(gatewayPauses, new Instant[][] {{lastWindow, eventsEnd}}) + "; during all "
                        + 2 * EVENTS + " events (" + Duration.between(eventsStart, eventsEnd).toMillis() + " ms): "
                        + GcPauses.during(gatewayPauses, new Instant[][] {{eventsStart, eventsEnd}}));
            } finally {
                if (threads != null) {
                    threads.close();
                }
                gateway.destroy();
                gateway.waitFor(30, TimeUnit.SECONDS);
                System.out.println("FLEET gateway log, milestones:\n" + milestones(dir.resolve("gateway.log")));
            }
        } finally {
            if (zkData.startsWith("/dev/shm")) {
                try (Stream<Path> files = Files.walk(zkData.getParent())) { // the server's log beside its data
                    files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                }
            }
        }
    }

    /**
     * A ZooKeeper server in its own JVM, started the way ZooKeeper's {@code zkServer.sh} starts one (its main class, a
     * 1 GB heap, the JVM's default collector), from the gateway jar, which carries the server for its embedded mode.
     * In the test's JVM its collections (G1 pauses of 8-32 ms with this tree) stalled the creates being timed and the
     * probe alike. Its admin server is off, so that no fixed port is bound.
     */
    private static final class ZooKeeperProcess implements AutoCloseable {
        private final Process process;
        private final int port;
        private final Path gcLog;

        ZooKeeperProcess(Path data) throws Exception {
            port = JarProcess.portForLater(); // the probe below retries it while the server's JVM starts
            gcLog = Path.of(System.getProperty("zkgate.fleet.zkGcLog", data.resolveSibling("zookeeper-gc.log")
                    .toString()));
            List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                    .toString(), "-Xmx1g", "-Dzookeeper.admin.enableServer=false", GcPauses.logOption(gcLog)));
            command.addAll(List.of("-cp", Path.of("target", "zkgate-gateway.jar").toAbsolutePath().toString(),
                    "org.apache.zookeeper.server.ZooKeeperServerMain", Integer.toString(port), data.toString()));
            process = new ProcessBuilder(command)
                    .redirectErrorStream(true).redirectOutput(data.resolveSibling("zookeeper.log").toFile()).start();
            try (CuratorFramework probe = CuratorFrameworkFactory.newClient(connectString(), new RetryOneTime(200))) {
                probe.start();
                assertTrue(probe.blockUntilConnected(60, TimeUnit.SECONDS), "ZooKeeper started in 60 s");
            } catch (Exception | Error e) {
                close(); // not started, or not answering: no server is left behind
                throw e;
            }
        }

        String connectString() {
            return "127.0.0.1:" + port;
        }

        Path gcLog() {
            return gcLog;
        }

        long pid() {
            return process.pid();
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /**
     * Where the test's ZooKeeper keeps its transaction log: a RAM disk when the machine has one, standing in for the
     * dedicated log device the ZooKeeper admin guide asks of an ensemble; otherwise the test's temporary directory,
     * where a shared disk's fsync can add tens of milliseconds to a create (printed with the figures).
     */
    private static Path zkDataDirectory(Path fallback) throws IOException {
        Path shm = Path.of("/dev/shm");
        Path parent = Files.isDirectory(shm) && Files.isWritable(shm) ? Files.createTempDirectory(shm, "zkgate-fleet")
                : fallback;
        return Files.createDirectories(parent.resolve("zk"));
    }

    private static byte[] instance(String service, String id, int port) {
        return ServiceInstanceCodec.toJson(new ServiceInstance(service, id, "127.0.0.1", port, 1, true,
                System.currentTimeMillis(), Map.of()));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static long ms(long since) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - since);
    }

    /** The index of the largest of {@code values}. */
    private static int slowest(long[] values) {
        int at = 0;
        for (int i = 1; i < values.length; i++) {
            at = values[i] > values[at] ? i : at;
        }
        return at;
    }

    /** The {@code q} quantile of {@code nanos} (not modified), in ms. */
    private static double quantile(long[] nanos, double q) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        return sorted[Math.max(0, (int) Math.ceil(sorted.length * q) - 1)] / 1e6;
    }

    /** The gateway's {@code zkgate_snapshot_rebuild_duration_seconds} quantiles (its last 256 publishes). */
    private static String publishQuantiles(String metrics) {
        String name = "zkgate_snapshot_rebuild_duration_seconds{quantile=\"";
        return String.format("p50 %.2f ms, p99 %.2f ms, max %.2f ms", 1000 * Http.sample(metrics, name + "0.5\"}"),
                1000 * Http.sample(metrics, name + "0.99\"}"), 1000 * Http.sample(metrics, name + "0.999\"}"));
    }

    private static long rssKb(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

    /** The gateway's log lines that mark its start-up, and any error. */
    private static String milestones(Path log) throws IOException {
        List<String> lines = Files.exists(log) ? Files.readAllLines(log) : List.of();
        return String.join("\n", lines.stream().filter(l -> l.contains("synced from") || l.contains("listening on")
                || l.contains("in batches") || l.contains("watching")
                || l.contains("connecting to") || l.contains("ERROR") || l.contains("OutOfMemory")).toList());
    }
}
