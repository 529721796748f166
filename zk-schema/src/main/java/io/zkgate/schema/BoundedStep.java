package io.zkgate.schema;

import static java.util.Objects.requireNonNull;

/**
 * Runs a shutdown step that may block for long on a throwaway daemon thread and waits for it at most a time limit.
 * Leaving ZooKeeper is such a step: with ZooKeeper unreachable, Curator retries a delete or a session close for a
 * minute, while the ephemeral nodes concerned go with the session anyway, so a shutdown need not wait for them.
 * Stateless.
 */
public final class BoundedStep {
    private BoundedStep() {}

    /**
     * Runs {@code step} on a new daemon thread named {@code threadName} and waits until it ends or {@code limitMs}
     * milliseconds pass; returns whether it ended. A step still running goes on, on a thread that does not keep the
     * JVM alive. An interrupt ends the wait early and stays set.
     */
    public static boolean run(String threadName, long limitMs, Runnable step) {
        requireNonNull(step, "step");
        Thread runner = new Thread(step, requireNonNull(threadName, "threadName"));
        runner.setDaemon(true);
        runner.start();
        try {
            runner.join(Math.max(1, limitMs));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return !runner.isAlive();
    }
}
