package io.zkgate.agent;

import io.zkgate.agent.RegistryAgent.State;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the health check and decides when the instance is registered, withdrawn and registered again: after the
 * first pass, after {@code failures} consecutive failures, after {@code successes} consecutive passes. The
 * {@link Registration} makes each change. Confined to the agent's one thread, which runs {@link #check()}.
 */
final class HealthWatch {
    private static final Logger log = LoggerFactory.getLogger(RegistryAgent.class);

    private final Registration registration;
    private final HealthCheck healthCheck;
    private final long intervalMs;
    private final int failures;
    private final int successes;
    private final String name;
    private int consecutiveFailures;
    private int consecutiveSuccesses;
    private boolean pendingFailureLogged;

    HealthWatch(Registration registration, HealthCheck healthCheck, long intervalMs, int failures, int successes,
            String name) {
        this.registration = registration;
        this.healthCheck = healthCheck;
        this.intervalMs = intervalMs;
        this.failures = failures;
        this.successes = successes;
        this.name = name;
    }

    long intervalMs() {
        return intervalMs;
    }

    /** One round: checks once and counts the result toward the next change. */
    void check() {
        boolean ok;
        String reason = null;
        try {
            ok = healthCheck.check();
            if (!ok) {
                reason = "check returned false";
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } catch (Exception e) {
            ok = false;
            reason = e.getMessage() != null ? e.getMessage() : e.toString();
        }
        switch (registration.state()) {
            case PENDING -> pending(ok, reason);
            case REGISTERED -> registered(ok, reason);
            case UNHEALTHY -> unhealthy(ok);
            default -> { }
        }
    }

    private void pending(boolean ok, String reason) {
        if (ok) {
            registration.registerHealthy(State.PENDING, () -> log.info("{}: health check passed; registering", name));
        } else if (!pendingFailureLogged) {
            pendingFailureLogged = true;
            log.info("{}: health check failing ({}); not registering until it passes", name, reason);
        }
    }

    private void registered(boolean ok, String reason) {
        consecutiveFailures = ok ? 0 : consecutiveFailures + 1;
        if (!ok) {
            log.debug("{}: health check failed {}/{}: {}", name, consecutiveFailures, failures, reason);
        }
        if (consecutiveFailures >= failures) {
            consecutiveFailures = 0;
            consecutiveSuccesses = 0;
            registration.withdraw(() -> log.warn("{}: unhealthy after {} failed health checks (last: {}); "
                    + "unregistering", name, failures, reason));
        }
    }

    private void unhealthy(boolean ok) {
        consecutiveSuccesses = ok ? consecutiveSuccesses + 1 : 0;
        if (consecutiveSuccesses >= successes) {
            consecutiveSuccesses = 0;
            registration.registerHealthy(State.UNHEALTHY, () -> log.info("{}: healthy again after {} passing "
                    + "health checks; registering", name, successes));
        }
    }

    /** How the start line describes it. */
    @Override
    public String toString() {
        return healthCheck + ", every " + intervalMs + " ms";
    }
}
