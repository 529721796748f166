package io.zkgate.gateway.limits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.benmanes.caffeine.cache.Ticker;
import io.zkgate.gateway.fleet.FleetSize;
import io.zkgate.schema.TrafficLimits;
import java.lang.management.ManagementFactory;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The limiter itself, on a clock the test moves: burst and sustained rate, the fleet's share, tokens given back,
 * and the memory a flood of distinct keys leaves behind, measured on the heap.
 */
class RateLimiterTest {
    private static final long MS = 1_000_000;

    private static TrafficLimits.RateLimit limit(double rps, int burst, String key, TrafficLimits.Scope scope) {
        return new TrafficLimits.RateLimit(rps, burst, TrafficLimits.Key.parse(key), scope);
    }

    private static int allowed(RateLimiter limiter, String key, long now, int tries) {
        int n = 0;
        for (int i = 0; i < tries; i++) {
            n += limiter.take(key, now) == 0 ? 1 : 0;
        }
        return n;
    }

    @Test
    void aBucketLetsItsBurstThroughAtOnceThenOneRequestPerInterval() {
        RateLimiter limiter = new RateLimiter(limit(100, 5, "route", TrafficLimits.Scope.GATEWAY), new FleetSize(),
                10, Ticker.systemTicker());
        long t = 1_000_000_000L;
        assertEquals(5, allowed(limiter, null, t, 10));
        long wait = limiter.take(null, t);
        assertEquals(10 * MS, wait, "the next token comes one interval (10 ms) later");
        assertEquals(1, allowed(limiter, null, t + 10 * MS, 3));
        assertEquals(3, allowed(limiter, null, t + 40 * MS, 10), "three intervals later, three tokens");
        assertEquals(5, allowed(limiter, null, t + 10_000 * MS, 10), "never more than the burst");
    }

    @Test
    void aFleetScopedLimitDividesRateAndBurstByTheLiveGatewaysRoundingTheBurstUp() {
        FleetSize fleet = new FleetSize();
        fleet.counted(3);
        RateLimiter limiter = new RateLimiter(limit(300, 31, "route", TrafficLimits.Scope.FLEET), fleet, 10,
                Ticker.systemTicker());
        long t = 5_000_000_000L;
        assertEquals(11, allowed(limiter, null, t, 50), "ceil(31 / 3)");
        assertEquals(3, allowed(limiter, null, t + 30 * MS, 50), "100 per second: three tokens in 30 ms");
        fleet.counted(2);
        assertEquals(16, limiter.burst(limiter.share()));
        assertEquals(150.0, limiter.requestsPerSecond(limiter.share()));
        assertEquals(16, allowed(limiter, null, t + 60_000 * MS, 50), "a full bucket at the new share");
        fleet.counted(0);
        assertEquals(1, limiter.share(), "never fewer than this gateway");
    }

    @Test
    void aTokenGivenBackCanBeTakenAgain() {
        RateLimiter limiter = new RateLimiter(limit(1, 2, "header:X-Key", TrafficLimits.Scope.GATEWAY),
                new FleetSize(), 10, Ticker.systemTicker());
        long t = 1_000_000_000L;
        assertEquals(2, allowed(limiter, "a", t, 5));
        limiter.giveBack("a");
        assertEquals(1, allowed(limiter, "a", t, 5));
    }

    @Test
    void aKeyIdlePastItsTimeoutIsEvictedOnTheTimeLaterRequestsSawOrOnTheClockAtACleanUp() {
        AtomicLong source = new AtomicLong(1_000_000_000L);
        long t = source.get();
        RateLimiter limiter = tenPerSecondPerKey(source); // a bucket is full again after 1 s: a key idle for 3 s goes
        limiter.take("idle", t);
        limiter.take("busy", t + 2_000 * MS);
        limiter.cleanUp();
        assertEquals(2, limiter.keys(), "2 s idle is within the timeout");
        limiter.take("busy", t + 4_000 * MS);
        limiter.cleanUp();
        assertEquals(1, limiter.keys(), "a later request's time expires the idle key, the source clock standing still");
        source.set(t + 60_000 * MS);
        limiter.cleanUp();
        assertEquals(0, limiter.keys(), "without requests a clean-up goes by the source clock");
    }

    @Test
    void aKeyInUseKeepsItsBucketLongPastTheIdleTimeout() {
        AtomicLong source = new AtomicLong(1_000_000_000L);
        long t = source.get();
        RateLimiter limiter = tenPerSecondPerKey(source); // an entry lives 3 s from its last write: rewritten in use
        assertEquals(10, allowed(limiter, "busy", t, 20), "the burst, used up");
        for (long ms = 100; ms <= 10_000; ms += 100) {
            assertEquals(0, limiter.take("busy", t + ms * MS), "one token every 100 ms, at " + ms + " ms");
            source.set(t + ms * MS);
            limiter.cleanUp();
        }
        assertEquals(1, limiter.keys());
        assertTrue(limiter.take("busy", t + 10_000 * MS) > 0,
                "the bucket is still empty: the key was never evicted and made again with a full bucket");
    }

    @Test
    void keysLongerThanTheLimitCostTheSameAsShortOnes() {
        String longKey = "x".repeat(10_000);
        RateLimiter limiter = new RateLimiter(limit(1, 1, "header:X-Key", TrafficLimits.Scope.GATEWAY),
                new FleetSize(), 10, Ticker.systemTicker());
        String key = limiter.key(new io.zkgate.gateway.routing.RequestView() {
            public String method() { return "GET"; }
            public String host() { return null; }
            public String path() { return "/"; }
            public String query() { return null; }
            public String clientAddress() { return "127.0.0.1"; }
            public String header(String name) { return longKey; }
            public java.util.List<String> headerValues(String name) { return java.util.List.of(longKey); }
            public long contentLength() { return -1; }
        });
        assertEquals(17, key.length(), key);
        assertTrue(key.startsWith("#"));
    }

    @Test
    void tenMillionDistinctKeysLeaveNoMoreThanTheCapOnTheHeap() throws Exception {
        int cap = LimitGuards.DEFAULT_MAX_KEYS;
        long before = usedHeapAfterGc();
        long now = System.nanoTime();
        // the cache's clock stands still, so the cap's worth of keys is still held when the heap is measured
        RateLimiter limiter = new RateLimiter(limit(10, 10, "header:X-Api-Key", TrafficLimits.Scope.GATEWAY),
                new FleetSize(), cap, () -> now);
        for (int i = 0; i < 10_000_000; i++) {
            limiter.take("key-" + i, now);
        }
        limiter.cleanUp();
        long after = usedHeapAfterGc();
        long retained = after - before;
        System.out.printf("10M distinct keys, cap %d: %d keys kept, %.1f MB retained (%.0f bytes per kept key)%n",
                cap, limiter.keys(), retained / 1e6, retained / (double) limiter.keys());
        assertTrue(limiter.keys() <= cap, "keys " + limiter.keys());
        assertTrue(retained <= cap * 200L + 2_000_000, "retained " + retained + " bytes for a cap of " + cap
                + " keys (documented: about 200 bytes a key)");
        assertEquals(0, limiter.take("key-9999999", now + 10_000 * MS), "a kept key is still limited right");
        limiter.take("keep alive", now);
    }

    @Test
    void anActiveKeyCostsAtMost200BytesOnTheHeap() throws Exception {
        int keys = 200_000;
        long before = usedHeapAfterGc();
        long now = System.nanoTime();
        // the cache's clock stands still, so no key expires however long a busy machine takes to fill the table
        RateLimiter limiter = new RateLimiter(limit(10, 10, "header:X-Api-Key", TrafficLimits.Scope.GATEWAY),
                new FleetSize(), 1_000_000, () -> now);
        for (int i = 0; i < keys; i++) {
            limiter.take(String.format("key-%012d", i), now);
        }
        limiter.cleanUp();
        long after = usedHeapAfterGc();
        double perKey = (after - before) / (double) keys;
        System.out.printf("%d active keys of 16 characters: %.0f bytes per key, key string included%n", keys, perKey);
        assertEquals(keys, limiter.keys());
        assertTrue(perKey <= 200, perKey + " bytes per key");
    }

    /** 10 per second, burst 10, per {@code X-Key} value, its cache on the clock {@code source}. */
    private static RateLimiter tenPerSecondPerKey(AtomicLong source) {
        return new RateLimiter(limit(10, 10, "header:X-Key", TrafficLimits.Scope.GATEWAY), new FleetSize(), 10,
                source::get);
    }

    /** Used heap after full collections, once it stops shrinking. */
    static long usedHeapAfterGc() throws InterruptedException {
        long last = Long.MAX_VALUE;
        for (int i = 0; i < 10; i++) {
            System.gc();
            Thread.sleep(50);
            long used = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            if (used >= last) {
                return used;
            }
            last = used;
        }
        return last;
    }
}
