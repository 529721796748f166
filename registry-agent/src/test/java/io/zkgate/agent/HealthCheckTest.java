package io.zkgate.agent;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A real HTTP health endpoint (and a Java callback) withdraws and restores the instance. */
class HealthCheckTest {
    private static final int INTERVAL_MS = 200;
    private static final int FAILURES = 3;
    private static final int SUCCESSES = 2;

    private TestingServer server;
    private CuratorFramework observer;
    private Backend backend;
    private RegistryAgent agent;

    @BeforeEach
    void setUp() throws Exception {
        server = Zk.server();
        observer = Zk.observer(server.getConnectString());
        backend = new Backend();
    }

    @AfterEach
    void tearDown() {
        Zk.closeQuietly(agent, observer, server, backend);
    }

    private RegistryAgent.Builder agentBuilder() {
        return RegistryAgent.builder().connectString(server.getConnectString()).service("web")
                .address("127.0.0.1").port(backend.port()).shutdownHook(false)
                .healthInterval(Duration.ofMillis(INTERVAL_MS)).healthTimeout(Duration.ofMillis(INTERVAL_MS))
                .healthFailures(FAILURES).healthSuccesses(SUCCESSES);
    }

    @Test
    void failingHealthUrlUnregistersWithinKIntervalsAndPassingAgainRegistersIt() throws Exception {
        agent = agentBuilder().healthUrl(backend.healthUrl()).build().start();
        await().atMost(Duration.ofSeconds(10)).until(() -> Zk.registeredBy(observer, agent, 1));
        assertEquals(RegistryAgent.State.REGISTERED, agent.state());

        backend.healthStatus(503);
        long failingSince = System.nanoTime();
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(10))
                .until(() -> !Zk.exists(observer, agent.path()));
        long goneMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - failingSince);
        assertTrue(goneMs <= (long) FAILURES * INTERVAL_MS + 1000, "gone after " + goneMs + " ms");
        assertEquals(RegistryAgent.State.UNHEALTHY, agent.state());

        // Stays away while failing: the agent's own recovery does not fight the health check.
        Thread.sleep(3L * INTERVAL_MS);
        assertFalse(Zk.exists(observer, agent.path()));

        backend.healthStatus(200);
        long passingSince = System.nanoTime();
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(10))
                .until(() -> Zk.registeredBy(observer, agent, 1));
        long backMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - passingSince);
        assertTrue(backMs <= (long) SUCCESSES * INTERVAL_MS + 1000, "back after " + backMs + " ms");
        assertEquals(RegistryAgent.State.REGISTERED, agent.state());
        assertEquals(3, agent.healthTransitions(), "registered, withdrawn, registered again");
        assertEquals(0, agent.reRegistrations(), "health returns are not recovery re-registrations");
    }

    @Test
    void fewerThanKFailuresInARowKeepTheInstanceRegistered() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        // Fails every second call: never FAILURES in a row.
        agent = agentBuilder().healthCheck(() -> calls.incrementAndGet() % 2 == 1).build().start();
        await().atMost(Duration.ofSeconds(10)).until(() -> Zk.registeredBy(observer, agent, 1));
        int seen = calls.get();
        await().atMost(Duration.ofSeconds(10)).until(() -> calls.get() >= seen + 3 * FAILURES);
        assertTrue(Zk.registeredBy(observer, agent, 1));
        assertEquals(1, agent.healthTransitions());
    }

    @Test
    void unreachableHealthUrlCountsAsFailing() throws Exception {
        agent = agentBuilder().healthUrl(backend.healthUrl()).build().start();
        await().atMost(Duration.ofSeconds(10)).until(() -> Zk.registeredBy(observer, agent, 1));
        backend.close();
        await().atMost(Duration.ofSeconds(10)).until(() -> !Zk.exists(observer, agent.path()));
        assertEquals(RegistryAgent.State.UNHEALTHY, agent.state());
    }

    @Test
    void callbackCheckHoldsTheFirstRegistrationUntilItPasses() throws Exception {
        AtomicBoolean healthy = new AtomicBoolean(false);
        agent = agentBuilder().healthCheck(() -> {
            if (!healthy.get()) {
                throw new IllegalStateException("warming up");
            }
            return true;
        }).build().start();
        Thread.sleep(5L * INTERVAL_MS);
        assertFalse(Zk.exists(observer, agent.path()), "not registered before the check passes");
        assertEquals(RegistryAgent.State.PENDING, agent.state());

        healthy.set(true);
        await().atMost(Duration.ofSeconds(10)).until(() -> Zk.registeredBy(observer, agent, 1));
        healthy.set(false);
        await().atMost(Duration.ofSeconds(10)).until(() -> !Zk.exists(observer, agent.path()));
    }

    @Test
    void aReturnAfterWithdrawalIsLoggedAsHealthyAgainUnlikeTheFirstRegistration() throws Exception {
        try (AgentLog log = new AgentLog()) {
            agent = agentBuilder().healthUrl(backend.healthUrl()).build().start();
            await().atMost(Duration.ofSeconds(10)).until(() -> Zk.registeredBy(observer, agent, 1));
            backend.healthStatus(503);
            await().atMost(Duration.ofSeconds(10)).until(() -> !Zk.exists(observer, agent.path()));
            backend.healthStatus(200);
            await().atMost(Duration.ofSeconds(10)).until(() -> Zk.registeredBy(observer, agent, 1));

            String name = "web/" + agent.id() + ": ";
            await().atMost(Duration.ofSeconds(10)).until(() -> registeredLines(log, name).size() == 2);
            List<String> registered = registeredLines(log, name);
            assertFalse(registered.get(0).contains("healthy again"), registered.get(0));
            assertTrue(registered.get(1).endsWith(" (healthy again)"), registered.get(1));
            List<String> lines = log.lines();
            int passed = lines.indexOf(name + "health check passed; registering");
            int withdrawn = indexOfStart(lines, name + "unhealthy after " + FAILURES + " failed health checks");
            int back = lines.indexOf(name + "healthy again after " + SUCCESSES + " passing health checks; registering");
            assertTrue(0 <= passed && passed < withdrawn && withdrawn < back, String.join("\n", lines));
        }
    }

    @Test
    void aLoopbackHealthUrlIsPolledOnTheRegisteredAddressWhereGatewaysConnect() throws Exception {
        String external = HostAddress.nonLoopback();
        assumeFalse(RegisteredAddress.isLoopback(external), "this host has a non-loopback address");
        // The backend listens on 127.0.0.1 only: gateways could not reach it at the registered address.
        agent = agentBuilder().address(external).healthUrl(backend.healthUrl()).build().start();
        Thread.sleep(10L * INTERVAL_MS); // time enough to register, were the check made on loopback
        assertFalse(Zk.exists(observer, agent.path()));
        assertEquals(RegistryAgent.State.PENDING, agent.state());
        assertEquals(0, backend.healthRequests(), "the loopback URL itself was not asked");
    }

    private static List<String> registeredLines(AgentLog log, String name) {
        return log.lines().stream().filter(l -> l.startsWith(name + "registered ")).toList();
    }

    private static int indexOfStart(List<String> lines, String start) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith(start)) {
                return i;
            }
        }
        return -1;
    }
}
