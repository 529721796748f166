package io.zkgate.gateway.scripting;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;

/**
 * At most {@code perSecond} lines per one-second window go to the logger; the rest are counted, and the next line
 * that gets through says how many were dropped. Thread-safe, lock-free; the window edge is approximate under
 * contention, which is fine for a log.
 */
final class RateLimitedLog {
    private static final long WINDOW_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final Logger logger;
    private final int perSecond;
    private final AtomicLong windowStart = new AtomicLong(System.nanoTime());
    private final AtomicInteger inWindow = new AtomicInteger();
    private final AtomicLong dropped = new AtomicLong();

    RateLimitedLog(Logger logger, int perSecond) {
        this.logger = logger;
        this.perSecond = perSecond;
    }

    void info(String message) {
        if (logger.isInfoEnabled() && permit()) {
            long d = dropped.getAndSet(0);
            if (d == 0) {
                logger.info(message);
            } else {
                logger.info("{} ({} earlier lines dropped by the rate limit)", message, d);
            }
        }
    }

    void warn(String message) {
        if (logger.isWarnEnabled() && permit()) {
            long d = dropped.getAndSet(0);
            if (d == 0) {
                logger.warn(message);
            } else {
                logger.warn("{} ({} earlier lines dropped by the rate limit)", message, d);
            }
        }
    }

    private boolean permit() {
        long now = System.nanoTime();
        long start = windowStart.get();
        if (now - start >= WINDOW_NANOS && windowStart.compareAndSet(start, now)) {
            inWindow.set(0);
        }
        if (inWindow.incrementAndGet() <= perSecond) {
            return true;
        }
        dropped.incrementAndGet();
        return false;
    }
}
