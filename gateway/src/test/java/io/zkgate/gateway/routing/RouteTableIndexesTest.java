package io.zkgate.gateway.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.zkgate.schema.Route;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The table's small indexes follow every change, so publish listeners can read them instead of every route. */
class RouteTableIndexesTest {

    @Test
    void connectTimeoutsInUseFollowPutsReplacementsAndRemovals() {
        RouteTable t = RouteTable.of(List.of(entry("a", 250, false), entry("b", 250, false), entry("c", -1, false)));
        assertEquals(Set.of(250L, -1L), t.connectTimeouts());

        RouteTable replaced = t.with(List.of(entry("a", 250, false)), List.of());
        assertSame(t.connectTimeouts(), replaced.connectTimeouts(), "an unchanged timeout shares the index");

        RouteTable oneLeft = replaced.with(List.of(), List.of("a"));
        assertEquals(Set.of(250L, -1L), oneLeft.connectTimeouts(), "b still uses 250");
        RouteTable moved = oneLeft.with(List.of(entry("b", 1000, false)), List.of());
        assertEquals(Set.of(1000L, -1L), moved.connectTimeouts());
    }

    @Test
    void healthCheckedIdsFollowPutsReplacementsAndRemovalsInIdOrder() {
        RouteTable t = RouteTable.of(List.of(entry("b", -1, true), entry("a", -1, true), entry("c", -1, false)));
        assertEquals(List.of("a", "b"), List.copyOf(t.healthCheckedIds()));

        RouteTable same = t.with(List.of(entry("a", -1, true), entry("c", 5, false)), List.of());
        assertEquals(List.of("a", "b"), List.copyOf(same.healthCheckedIds()));

        RouteTable changed = same.with(List.of(entry("b", -1, false), entry("c", -1, true)), List.of("a"));
        assertEquals(List.of("c"), List.copyOf(changed.healthCheckedIds()));
        assertEquals(List.of("a", "b"), List.copyOf(t.healthCheckedIds()), "the older table is untouched");
    }

    private static RouteEntry entry(String id, long connectMs, boolean healthCheck) {
        Route r = new Route(id, new Route.Match(null, "/" + id, Set.of()), "s", false, null, null, null, null, null,
                healthCheck ? new Route.HealthCheck("/health", 2000, 1000, 3, 2) : null);
        return new RouteEntry(r, 0, null, new UpstreamPolicy(connectMs, 15_000, 1, null), null, null);
    }
}
