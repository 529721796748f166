package io.zkgate.gateway.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ServiceMapTest {
    @Test
    void changesGiveANewMapThatReadsLikeAHashMapAndLeaveTheOldOneAsItWas() {
        Random random = new Random(2);
        Map<String, ServicePool> reference = new HashMap<>();
        ServiceMap map = ServiceMap.empty();
        for (int step = 0; step < 2_000; step++) {
            Map<String, ServicePool> before = Map.copyOf(reference);
            ServiceMap previous = map;
            Map<String, ServicePool> put = new HashMap<>();
            Set<String> removed = new HashSet<>();
            for (int c = random.nextInt(5); c >= 0; c--) {
                String name = "s" + random.nextInt(300);
                if (random.nextInt(3) == 0) {
                    removed.add(name);
                } else {
                    put.put(name, ServicePool.empty(name));
                }
            }
            map = map.with(put, removed);
            reference.putAll(put);
            removed.forEach(reference::remove);

            assertEquals(reference, map);
            assertEquals(reference.size(), map.size());
            assertEquals(before, previous);
            for (String name : put.keySet()) {
                if (!removed.contains(name)) {
                    assertSame(put.get(name), map.get(name));
                }
            }
        }
        assertNull(map.get("nope"));
        assertSame(map, map.with(Map.of(), Set.of()));
    }
}
