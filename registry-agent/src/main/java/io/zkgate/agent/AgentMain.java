package io.zkgate.agent;

import io.zkgate.config.AgentSettings;
import io.zkgate.config.SettingsException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sidecar: registers a service that is not written in Java and keeps it registered until SIGTERM, which drains
 * it and exits 0. Bad flags exit 2 with the usage; an unreachable ZooKeeper is retried, never fatal. Not
 * instantiable; its state is the one agent, handed to the shutdown hook.
 */
public final class AgentMain {
    private AgentMain() {}

    public static void main(String[] args) throws InterruptedException {
        // Before the first logger: the sidecar's own logging setup, unless the user gave one.
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "zkgate-agent-logback.xml");
        }
        if (System.getProperty("curator-dont-log-connection-problems") == null) {
            System.setProperty("curator-dont-log-connection-problems", "true");
        }
        int code = launch(args, System.out, System.err);
        if (code >= 0) {
            System.exit(code);
        }
        new CountDownLatch(1).await();
    }

    /** Parses flags and starts the agent; returns an exit code, or -1 when the agent runs until SIGTERM. */
    static int launch(String[] args, PrintStream out, PrintStream err) {
        AgentSettings settings;
        try {
            settings = AgentSettings.load(args, System.getenv(), w -> err.println("zkgate-agent: warning: " + w));
        } catch (SettingsException e) {
            err.println("zkgate-agent: " + e.getMessage());
            if (e.exitCode() == SettingsException.USAGE) {
                err.println();
                err.print(AgentSettings.usage());
            }
            return e.exitCode();
        }
        if (settings == null) {
            out.print(AgentSettings.usage());
            return 0;
        }
        RegistryAgent agent;
        try {
            agent = builder(settings).build();
        } catch (IllegalArgumentException e) {
            err.println("zkgate-agent: " + e.getMessage());
            err.println();
            err.print(AgentSettings.usage());
            return SettingsException.USAGE;
        }
        Logger log = LoggerFactory.getLogger(AgentMain.class);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("{}/{}: shutting down: draining for {} ms", agent.service(), agent.id(), settings.drainMs());
            try {
                agent.drain();
            } finally {
                // A JVM ended by SIGTERM exits 143; the sidecar drained, so it reports success.
                Runtime.getRuntime().halt(0);
            }
        }, "zkgate-agent-shutdown"));
        log.info("{}/{}: starting: {}:{} weight {} in ZooKeeper {} under {}{}", agent.service(), agent.id(),
                agent.address(), agent.port(), settings.weight(), settings.zkConnect(), settings.servicesRoot(),
                settings.healthUrl() == null ? ""
                        : ", health GET " + RegisteredAddress.healthUrlFor(settings.healthUrl(), agent.address()));
        RegisteredAddress.loopbackOnly(agent.address(), agent.port(), Duration.ofMillis(settings.healthTimeoutMs()))
                .ifPresent(problem -> log.warn("{}/{}: {}", agent.service(), agent.id(), problem));
        agent.start();
        return -1;
    }

    static RegistryAgent.Builder builder(AgentSettings s) {
        RegistryAgent.Builder b = RegistryAgent.builder()
                .connectString(s.zkConnect())
                .sessionTimeout(Duration.ofMillis(s.zkSessionTimeoutMs()))
                .connectionTimeout(Duration.ofMillis(s.zkConnectionTimeoutMs()))
                .servicesRoot(s.servicesRoot())
                .service(s.service())
                .port(s.port())
                .weight(s.weight())
                .metadata(s.metadata())
                .healthInterval(Duration.ofMillis(s.healthIntervalMs()))
                .healthTimeout(Duration.ofMillis(s.healthTimeoutMs()))
                .healthFailures(s.healthFailures())
                .healthSuccesses(s.healthSuccesses())
                .drainPeriod(Duration.ofMillis(s.drainMs()))
                .shutdownHook(false);
        if (s.id() != null) {
            b.id(s.id());
        }
        if (s.address() != null) {
            b.address(s.address());
        }
        if (s.healthUrl() != null) {
            b.healthUrl(s.healthUrl());
        }
        if (s.zkAuth() != null) {
            b.zkAuth(s.zkAuth());
        }
        return b;
    }
}
