package io.zkgate.gateway.balancer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.schema.HashKey;
import io.zkgate.schema.Policy;
import io.zkgate.schema.Route;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

class BalancerConcurrencyTest {
    private static final int PICKERS = 8;
    private static final int SWAPS = 10_000;
    private static final String[] KEYS = new String[100];

    static {
        for (int i = 0; i < KEYS.length; i++) {
            KEYS[i] = "user-" + i;
        }
    }

    @Test
    void eightThreadsPickWhileAnotherSwapsSnapshotsTenThousandTimesAndEveryPickIsFromThePublishedSnapshotItRead()
            throws Exception {
        Endpoint[] pool = Endpoints.uuids(16);
        AtomicReference<Balancer> current = new AtomicReference<>(build(pool, 0));
        Set<Balancer> published = ConcurrentHashMap.newKeySet();
        published.add(current.get());
        CountDownLatch start = new CountDownLatch(1);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong picks = new AtomicLong();
        AtomicLong switches = new AtomicLong(); // how often a picker saw a newer snapshot than on its last pick
        AtomicReference<String> failure = new AtomicReference<>();

        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < PICKERS; t++) {
            SplittableRandom random = new SplittableRandom(t);
            threads.add(new Thread(() -> {
                Endpoint[] held = new Endpoint[4]; // requests in flight, completed out of order
                Balancer last = null;
                try {
                    start.await();
                    while (!stop.get()) {
                        Balancer b = current.get();
                        if (b != last) {
                            switches.incrementAndGet();
                            last = b;
                        }
                        int r = random.nextInt(100);
                        Endpoint e = b.pick(r < 10 ? null : r < 40 ? "hot-key" : KEYS[r]);
                        if (e == null || !published.contains(b) || !isMember(b.endpoints(), e)) {
                            failure.compareAndSet(null, e + " picked from a snapshot of " + b.endpoints().length);
                            return;
                        }
                        e.acquire();
                        int slot = random.nextInt(held.length);
                        if (held[slot] != null) {
                            held[slot].release();
                        }
                        held[slot] = e;
                        if ((picks.incrementAndGet() & 1023) == 0) {
                            LockSupport.parkNanos(50_000); // eight pickers on a small machine: let the swapper run
                        }
                    }
                } catch (Throwable x) {
                    failure.compareAndSet(null, x.toString());
                } finally {
                    for (Endpoint e : held) {
                        if (e != null) {
                            e.release();
                        }
                    }
                }
            }, "picker-" + t));
        }
        Thread swapper = new Thread(() -> {
            try {
                start.await();
                for (int i = 1; i <= SWAPS; i++) {
                    Balancer next = build(pool, i);
                    published.add(next);
                    current.set(next);
                }
            } catch (Throwable x) {
                failure.compareAndSet(null, x.toString());
            } finally {
                stop.set(true);
            }
        }, "swapper");
        threads.forEach(Thread::start);
        swapper.start();
        start.countDown();
        swapper.join(TimeUnit.MINUTES.toMillis(2));
        stop.set(true);
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(30));
        }

        assertNull(failure.get());
        assertEquals(SWAPS + 1, published.size());
        assertTrue(picks.get() > SWAPS, "pickers ran alongside the swaps: " + picks.get());
        assertTrue(switches.get() > SWAPS / 10, "pickers saw many snapshots: " + switches.get());
        for (Endpoint e : pool) {
            assertEquals(0, e.inFlight(), "in flight on " + e);
        }
    }

    /** Snapshot {@code i}: a varying subset of the pool with varying weights, counters shared, each policy in turn. */
    private static Balancer build(Endpoint[] pool, int i) {
        SplittableRandom random = new SplittableRandom(i);
        List<Endpoint> members = new ArrayList<>();
        for (Endpoint e : pool) {
            if (random.nextInt(4) != 0) {
                members.add(e.withWeight(1 + random.nextInt(3)));
            }
        }
        if (members.isEmpty()) {
            members.add(pool[0]);
        }
        Policy policy = Policy.values()[i % Policy.values().length];
        Route.LoadBalancing lb = new Route.LoadBalancing(policy,
                policy == Policy.CONSISTENT_HASH ? HashKey.parse("header:X-User-Id") : null,
                policy == Policy.CONSISTENT_HASH && i % 2 == 0 ? 1.25 : null);
        return Balancers.create(lb, members.toArray(new Endpoint[0]));
    }

    private static boolean isMember(Endpoint[] set, Endpoint e) {
        for (Endpoint x : set) {
            if (x == e) {
                return true;
            }
        }
        return false;
    }
}
