package io.zkgate.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class BoundedStepTest {
    @Test
    void aStepThatEndsInTimeHasRunOnADaemonThreadOfTheGivenNameWhenRunReturnsTrue() {
        AtomicReference<Thread> ranOn = new AtomicReference<>();

        assertTrue(BoundedStep.run("test-step", 30_000, () -> ranOn.set(Thread.currentThread())));

        assertEquals("test-step", ranOn.get().getName());
        assertTrue(ranOn.get().isDaemon());
        assertFalse(ranOn.get().isAlive());
    }

    @Test
    void aStepStillBlockedAtTheLimitIsLeftRunningAndRunReturnsFalse() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch finished = new CountDownLatch(1);

        boolean ended = BoundedStep.run("test-blocked-step", 50, () -> {
            try {
                release.await();
                finished.countDown();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });

        assertFalse(ended);
        release.countDown();
        assertTrue(finished.await(30, TimeUnit.SECONDS), "the step was not interrupted and finished later");
    }

    @Test
    void anInterruptedCallerStopsWaitingAndKeepsItsInterrupt() {
        CountDownLatch release = new CountDownLatch(1);
        Thread.currentThread().interrupt();
        try {
            assertFalse(BoundedStep.run("test-interrupted-wait", 30_000, () -> {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
            assertTrue(Thread.currentThread().isInterrupted());
        } finally {
            Thread.interrupted();
            release.countDown();
        }
    }
}
