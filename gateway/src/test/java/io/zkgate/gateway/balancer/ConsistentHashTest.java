package io.zkgate.gateway.balancer;

import static io.zkgate.gateway.balancer.Endpoints.ids;
import static io.zkgate.gateway.balancer.Endpoints.plus;
import static io.zkgate.gateway.balancer.Endpoints.uuid;
import static io.zkgate.gateway.balancer.Endpoints.uuids;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ConsistentHashTest {
    private static final int KEYS = 100_000;

    @Test
    void theSameKeyAlwaysReachesTheSameEndpointAlsoOnARebuiltRing() {
        Endpoint[] e = uuids(10);
        ConsistentHash ch = new ConsistentHash(e, null);
        for (int i = 0; i < KEYS; i++) {
            String key = key(i);
            Endpoint first = ch.pick(key);
            assertSame(first, ch.pick(key));
            if (i % 1000 == 0) {
                assertSame(first, new ConsistentHash(e.clone(), null).pick(key), "a rebuilt ring agrees");
            }
        }
    }

    @Test
    void aRingStartedFromThePreviousOneIsTheRingBuiltFromScratch() {
        Random random = new Random(71);
        for (int round = 0; round < 200; round++) {
            List<Endpoint> current = new ArrayList<>(Arrays.asList(uuids(1 + random.nextInt(12))));
            int next = 100;
            ConsistentHash ring = new ConsistentHash(current.toArray(Endpoint[]::new), null);
            for (int step = 0; step < 10; step++) {
                int change = random.nextInt(4);
                if (change == 0 || current.isEmpty()) {
                    int weight = random.nextInt(20) == 0 ? 100 + random.nextInt(10_000) : 1 + random.nextInt(5);
                    current.add(uuid(next++, weight)); // a heavy one changes the halving: a rebuild from scratch
                } else if (change == 1) {
                    current.remove(random.nextInt(current.size()));
                } else if (change == 2) {
                    int i = random.nextInt(current.size());
                    current.set(i, current.get(i).withWeight(1 + random.nextInt(5)));
                } // else: the same endpoints again
                Endpoint[] now = current.toArray(Endpoint[]::new);
                Arrays.sort(now);
                ConsistentHash merged = new ConsistentHash(now.clone(), null, 0, ring);
                ConsistentHash scratch = new ConsistentHash(now.clone(), null);
                assertTrue(merged.sameRing(scratch), "round " + round + " step " + step + ": " + ids(now));
                for (int k = 0; k < 200; k++) {
                    assertSame(scratch.pick(key(k)), merged.pick(key(k)));
                }
                ring = merged;
            }
        }
    }

    @Test
    void keysSpreadOverEveryEndpointWithinAQuarterOfAnEvenShare() {
        ConsistentHash ch = new ConsistentHash(uuids(10), null);
        Map<Endpoint, Integer> counts = new HashMap<>();
        for (int i = 0; i < KEYS; i++) {
            counts.merge(ch.pick(key(i)), 1, Integer::sum);
        }
        assertEquals(10, counts.size());
        for (int c : counts.values()) {
            assertTrue(Math.abs(c - KEYS / 10) < KEYS / 10 * 0.25, "share within 25 % of even: " + counts.values());
        }
    }

    @Test
    void anEleventhBackendTakesAtMostOnePointTwoEleventhsOfTheKeysAndNoOtherKeyMoves() {
        Endpoint[] ten = uuids(10);
        Endpoint[] eleven = plus(ten, uuid(10, 1));
        Endpoint newcomer = uuid(10, 1);
        ConsistentHash before = new ConsistentHash(ten, null);
        ConsistentHash after = new ConsistentHash(eleven, null);
        int moved = 0;
        for (int i = 0; i < KEYS; i++) {
            Endpoint was = before.pick(key(i));
            Endpoint now = after.pick(key(i));
            if (was != now) {
                moved++;
                assertTrue(now.sameBackend(newcomer), "key " + key(i) + " moved from " + was + " to " + now);
            }
        }
        assertTrue(moved <= 1.2 * KEYS / 11, "moved " + moved + " of " + KEYS + " (limit " + 1.2 * KEYS / 11 + ")");
        assertTrue(moved >= 0.5 * KEYS / 11, "the newcomer takes a share: " + moved);
    }

    @Test
    void removingABackendMovesOnlyItsOwnKeys() {
        Endpoint[] ten = uuids(10);
        Endpoint gone = ten[4];
        Endpoint[] nine = Arrays.stream(ten).filter(x -> x != gone).toArray(Endpoint[]::new);
        ConsistentHash before = new ConsistentHash(ten, null);
        ConsistentHash after = new ConsistentHash(nine, null);
        for (int i = 0; i < KEYS; i++) {
            Endpoint was = before.pick(key(i));
            if (was != gone) {
                assertSame(was, after.pick(key(i)), "key " + key(i) + " left a surviving backend");
            }
        }
    }

    @Test
    void aWeightChangeMovesKeysOnlyToOrFromThatBackend() {
        Endpoint[] before = uuids(10);
        Endpoint[] after = before.clone();
        after[3] = before[3].withWeight(3);
        ConsistentHash a = new ConsistentHash(before, null);
        ConsistentHash b = new ConsistentHash(after, null);
        int gained = 0;
        for (int i = 0; i < KEYS; i++) {
            Endpoint was = a.pick(key(i));
            Endpoint now = b.pick(key(i));
            if (!was.sameBackend(now)) {
                assertTrue(now.sameBackend(before[3]), "key " + key(i) + " moved between two other backends");
                gained++;
            }
        }
        assertTrue(gained > KEYS / 10, "weight 3 takes more keys: " + gained);
    }

    @Test
    void ringSharesFollowWeights() {
        Endpoint[] e = Endpoints.named(1, 2, 3, 10);
        ConsistentHash ch = new ConsistentHash(e, null);
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < KEYS; i++) {
            counts.merge(ch.pick(key(i)).id(), 1, Integer::sum);
        }
        for (Endpoint x : e) {
            assertEquals(x.weight() / 16.0, counts.get(x.id()) / (double) KEYS, 0.02, "share of " + x + ": " + counts);
        }
    }

    @Test
    void hugeWeightsKeepTheRingBoundedAndProportional() {
        Endpoint[] e = Endpoints.named(10_000, 5_000, 1);
        ConsistentHash ch = new ConsistentHash(e, null);
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < KEYS; i++) {
            counts.merge(ch.pick(key(i)).id(), 1, Integer::sum);
        }
        assertEquals(2.0, counts.get("a") / (double) counts.get("b"), 0.2, counts.toString());
    }

    @Test
    void aRequestWithoutAKeyIsRoundRobinedNeverSentToOneBackend() {
        Endpoint[] e = Endpoints.named(1, 1, 1);
        ConsistentHash ch = new ConsistentHash(e, null);
        assertEquals("a,b,c,a,b,c", Endpoints.ids(RoundRobinTest.picks(ch, 6)));
    }

    @Test
    void anEmptySetPicksNothingWithOrWithoutAKey() {
        assertNull(new ConsistentHash(new Endpoint[0], 1.25).pick("k"));
        assertNull(new ConsistentHash(new Endpoint[0], null).pick(null));
    }

    @Test
    void aSingleEndpointTakesEveryKeyHoweverLoaded() {
        Endpoint[] one = Endpoints.named(1);
        ConsistentHash ch = new ConsistentHash(one, 1.25);
        for (int i = 0; i < 1000; i++) {
            one[0].acquire();
            assertSame(one[0], ch.pick(key(i)));
        }
    }

    @Test
    void ownersFollowTheRingAcrossTheWholeHashRangeIncludingTheWrap() {
        Endpoint[] e = uuids(3);
        ConsistentHash ch = new ConsistentHash(e, null);
        // Brute force: the owner of h is the endpoint with the first point at or after h (unsigned), else the first.
        List<long[]> points = new ArrayList<>();
        for (int i = 0; i < e.length; i++) {
            long idHash = Hashing.hash64(e[i].id());
            for (int k = 0; k < ConsistentHash.POINTS_PER_WEIGHT; k++) {
                points.add(new long[] {Integer.toUnsignedLong(Hashing.point(idHash, k)), i});
            }
        }
        points.sort((x, y) -> x[0] != y[0] ? Long.compare(x[0], y[0]) : Long.compare(x[1], y[1]));
        int[] probes = {0, 1, -1, Integer.MIN_VALUE, Integer.MAX_VALUE, (int) points.get(0)[0],
                (int) points.get(points.size() - 1)[0], (int) points.get(points.size() - 1)[0] + 1};
        Random r = new Random(7);
        for (int t = 0; t < 20_000 + probes.length; t++) {
            int h = t < probes.length ? probes[t] : r.nextInt();
            long u = Integer.toUnsignedLong(h);
            int owner = (int) points.get(0)[1];
            for (long[] p : points) {
                if (p[0] >= u) {
                    owner = (int) p[1];
                    break;
                }
            }
            assertSame(e[owner], ch.owner(h), "hash " + Integer.toUnsignedString(h));
        }
    }

    @Test
    void keysHashWithMurmur3OverTheirCharsAsGuavaDoes() {
        // Guava: Hashing.murmur3_32_fixed().hashUnencodedChars(s).asInt()
        assertEquals(0, Hashing.murmur3(""));
        assertEquals(1867108634, Hashing.murmur3("a"));
        assertEquals(374890698, Hashing.murmur3("ab"));
        assertEquals(1118836419, Hashing.murmur3("abc"));
        assertEquals(2040742313, Hashing.murmur3("user-00000012345"));
        assertEquals(562826414, Hashing.murmur3("héllo wörld ✓"));
    }

    /**
     * A skew where one key is half of all traffic, with requests completing in random order: every pick satisfies
     * the bound at the moment it is made, which is what consistent hashing with bounded loads promises.
     */
    @Test
    void withBoundedLoadOneTwentyFiveNoBackendExceedsCeilOfOneTwentyFiveTimesTheMeanUnderAFiftyPercentHotKey() {
        Endpoint[] e = uuids(10);
        ConsistentHash ch = new ConsistentHash(e, 1.25);
        Random r = new Random(42);
        List<Endpoint> inFlight = new ArrayList<>();
        int hotKeyElsewhere = 0;
        Endpoint hotOwner = ch.owner(Hashing.murmur3("hot-user"));
        for (int step = 0; step < 200_000; step++) {
            String key = r.nextBoolean() ? "hot-user" : key(r.nextInt(10_000));
            Endpoint picked = ch.pick(key);
            picked.acquire();
            inFlight.add(picked);
            int total = inFlight.size();
            int limit = (int) Math.ceil(1.25 * total / e.length);
            assertTrue(picked.inFlight() <= limit,
                    "step " + step + ": " + picked + " has " + picked.inFlight() + " in flight, limit " + limit);
            if (key.equals("hot-user") && picked != hotOwner) {
                hotKeyElsewhere++;
            }
            // Keep 50 to 400 requests in flight; complete one at random (out of order).
            int target = 50 + (step / 1000 % 8) * 50;
            while (inFlight.size() > target) {
                Endpoint done = inFlight.remove(r.nextInt(inFlight.size()));
                done.release();
            }
        }
        assertTrue(hotKeyElsewhere > 0, "the hot key's backend filled up and passed keys on");
        for (Endpoint x : inFlight) {
            x.release();
        }
        for (Endpoint x : e) {
            assertEquals(0, x.inFlight());
        }
    }

    @Test
    void whileLoadOnlyGrowsEveryBackendStaysWithinCeilOfOneTwentyFiveTimesTheMean() {
        Endpoint[] e = uuids(10);
        ConsistentHash ch = new ConsistentHash(e, 1.25);
        Random r = new Random(1);
        for (int total = 1; total <= 2_000; total++) {
            ch.pick(r.nextBoolean() ? "hot-user" : key(r.nextInt(10_000))).acquire();
            int limit = (int) Math.ceil(1.25 * total / e.length);
            for (Endpoint x : e) {
                assertTrue(x.inFlight() <= limit, "at " + total + " in flight " + x + " has " + x.inFlight());
            }
        }
    }

    @Test
    void withoutBoundedLoadTheSameSkewOverloadsOneBackend() {
        Endpoint[] e = uuids(10);
        ConsistentHash ch = new ConsistentHash(e, null);
        Random r = new Random(1);
        ArrayDeque<Endpoint> inFlight = new ArrayDeque<>();
        int worst = 0;
        for (int step = 0; step < 2_000; step++) {
            Endpoint p = ch.pick(r.nextBoolean() ? "hot-user" : key(r.nextInt(10_000)));
            p.acquire();
            inFlight.add(p);
            worst = Math.max(worst, p.inFlight());
        }
        assertTrue(worst > 2 * Math.ceil(1.25 * 2_000 / 10), "the skew matters: worst " + worst);
    }

    @Test
    void aBoundedLoadRingUsesTheKeysOwnBackendWhileItHasRoom() {
        Endpoint[] e = uuids(10);
        ConsistentHash bounded = new ConsistentHash(e, 1.25);
        ConsistentHash plain = new ConsistentHash(e, null);
        for (int i = 0; i < 1000; i++) {
            assertSame(plain.pick(key(i)), bounded.pick(key(i)));
        }
    }

    /** 16-character keys, like the benchmark's. */
    static String key(int i) {
        String digits = Integer.toString(i);
        return "user-" + "00000000000".substring(digits.length()) + digits;
    }
}
