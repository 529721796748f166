package io.zkgate.gateway.control;

import static io.zkgate.gateway.control.Znodes.route;
import static io.zkgate.gateway.control.Znodes.routeJson;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.junit.jupiter.api.Test;

class RouteRegistryTest {
    private final RouteRegistry routes = new RouteRegistry(Znodes.ROUTES);

    @Test
    void anInvalidEditIsRefusedWithItsReasonWhileTheLastGoodVersionKeepsServing() {
        routes.sync();
        routes.put("a", route("a", routeJson("a", "/a", "svc"), 10, 10, 0));
        routes.put("a", route("a", "{\"id\":\"a\",\"match\":{\"pathPrefix\":\"no-slash\"},\"service\":\"svc\"}",
                10, 11, 1));

        RouteState s = routes.state("a");
        assertEquals("/a", s.applied().match().pathPrefix());
        assertEquals(0, s.appliedVersion());
        assertTrue(s.rejection().contains("match.pathPrefix"), s.rejection());
        assertEquals(10, routes.zxid(), "a refused edit does not count as applied");
    }

    @Test
    void theRefusedStatesAreExactlyTheRoutesWhoseLatestEditWasRefused() {
        routes.sync();
        routes.put("a", route("a", routeJson("a", "/a", "svc"), 10, 10, 0));
        routes.put("b", route("b", "{not json", 11, 11, 0));
        routes.put("c", route("c", routeJson("c", "/c", "svc"), 12, 12, 0));
        routes.put("c", route("c", "{\"id\":\"c\",\"match\":{\"pathPrefix\":\"x\"},\"service\":\"svc\"}",
                12, 13, 1));

        assertEquals(Set.of("b", "c"), routes.rejectedStates().keySet());
        routes.put("c", route("c", routeJson("c", "/c2", "svc"), 12, 14, 2));
        assertEquals(Set.of("b"), routes.rejectedStates().keySet());
        routes.remove("b", Znodes.ROUTES + "/b", 15);
        assertEquals(Set.of(), routes.rejectedStates().keySet());

        routes.put("d", route("d", routeJson("d", "/a", "svc"), 16, 16, 0));
        assertEquals(Set.of("d"), routes.rejectedStates().keySet(), "refused for clashing with a");
        assertTrue(routes.rejectedStates().get("d").rejection().contains("duplicate match"));
        routes.remove("a", Znodes.ROUTES + "/a", 17);
        assertEquals(Set.of(), routes.rejectedStates().keySet(), "d applied once a is gone");
        assertEquals("/a", routes.state("d").applied().match().pathPrefix());
    }

    @Test
    void theWatchReadingAWriteABatchedReadAppliedChangesNothing() {
        routes.put("a", route("a", routeJson("a", "/a", "svc"), 10, 10, 0));
        routes.sync();
        RouteState applied = routes.state("a");
        routes.drainChanged();

        routes.put("a", route("a", routeJson("a", "/a", "svc"), 10, 10, 0));

        assertTrue(routes.drainChanged().isEmpty(), "the same write again is not rebuilt");
        assertTrue(applied == routes.state("a"), "the state is kept as it was");
        routes.put("a", route("a", routeJson("a", "/a2", "svc"), 10, 11, 1));
        assertEquals(Set.of("a"), routes.drainChanged());
    }

    @Test
    void routesTheWatchNoLongerSeesAreRemovedAfterABatchedRead() {
        routes.put("a", route("a", routeJson("a", "/a", "svc"), 10, 10, 0));
        routes.put("b", route("b", routeJson("b", "/b", "svc"), 11, 11, 0));
        routes.sync();
        routes.drainChanged();

        routes.retainOnly(path -> path.equals(Znodes.ROUTES + "/a"), 12);

        assertEquals(Set.of("b"), routes.drainChanged());
        assertNull(routes.state("b"));
        assertEquals("/a", routes.state("a").applied().match().pathPrefix());
        assertEquals(12, routes.zxid(), "the deletion's zxid is what is served");
    }

    @Test
    void aRouteNeverValidIsKnownButNotServed() {
        routes.sync();
        routes.put("bad", route("bad", "{not json", 5, 5, 0));

        assertNull(routes.state("bad").applied());
        assertEquals(-1, routes.state("bad").appliedVersion());
        assertTrue(routes.drainChanged().isEmpty(), "nothing served changed");
    }

    @Test
    void ofTwoRoutesWithTheSameMatchTheFirstCreatedWinsAndTheOtherTakesOverWhenTheFirstIsDeleted() {
        routes.put("later", route("later", routeJson("later", "/x", "s2"), 20, 20, 0));
        routes.put("first", route("first", routeJson("first", "/x/", "s1"), 10, 10, 0));
        routes.sync();

        assertEquals("s1", routes.state("first").applied().service());
        assertNull(routes.state("later").applied());
        assertTrue(routes.state("later").rejection().contains("duplicate match"), routes.state("later").rejection());

        routes.drainChanged();
        routes.remove("first", Znodes.ROUTES + "/first", 30);
        assertEquals("s2", routes.state("later").applied().service());
        assertNull(routes.state("later").rejection());
        assertEquals(Set.of("first", "later"), routes.drainChanged());
        assertEquals(30, routes.zxid(), "the deletion's zxid counts");
    }

    @Test
    void routesWithTheSamePrefixButDisjointMethodsOrAnotherHostDoNotClash() {
        routes.sync();
        routes.put("get", route("get", routeJson("get", "/x", "s", "GET"), 1, 1, 0));
        routes.put("post", route("post", routeJson("post", "/x", "s", "POST"), 2, 2, 0));
        routes.put("host", route("host", "{\"match\":{\"host\":\"a.example\",\"pathPrefix\":\"/x\",\"methods\":"
                + "[\"GET\"]},\"service\":\"s\"}", 3, 3, 0));
        routes.put("both", route("both", routeJson("both", "/x", "s", "POST", "PUT"), 4, 4, 0));

        assertTrue(routes.state("get").rejection() == null && routes.state("post").rejection() == null);
        assertNull(routes.state("host").rejection());
        assertTrue(routes.state("both").rejection().contains("of route 'post'"), routes.state("both").rejection());
    }

    @Test
    void onlyRoutesWhoseServedVersionChangedAreReportedAsChanged() {
        routes.put("a", route("a", routeJson("a", "/a", "s"), 1, 1, 0));
        routes.put("b", route("b", routeJson("b", "/b", "s"), 2, 2, 0));
        routes.sync();
        assertEquals(Set.of("a", "b"), routes.drainChanged());

        routes.put("a", route("a", "{broken", 1, 3, 1));
        assertTrue(routes.drainChanged().isEmpty(), "a refused edit changes nothing served");

        routes.put("b", route("b", routeJson("b", "/b2", "s"), 2, 4, 1));
        assertEquals(Set.of("b"), routes.drainChanged());
        assertEquals(4, routes.zxid());
        assertFalse(routes.synced() && routes.drainChanged().contains("a"));
    }

    @Test
    void aScriptChangeMarksOnlyTheServedRoutesNamingIt() {
        routes.sync();
        routes.put("a", route("a", "{\"match\":{\"pathPrefix\":\"/a\"},\"service\":\"s\",\"script\":\"auth\"}",
                1, 1, 0));
        routes.put("b", route("b", routeJson("b", "/b", "s"), 2, 2, 0));
        routes.drainChanged();

        routes.markNaming(Set.of("auth", "other"));
        assertEquals(Set.of("a"), routes.drainChanged());
    }

    @Test
    void nothingIsAppliedBeforeTheInitialReadCompletes() {
        routes.put("a", route("a", routeJson("a", "/a", "s"), 1, 1, 0));
        routes.put("gone", route("gone", routeJson("gone", "/g", "s"), 2, 2, 0));
        routes.remove("gone", Znodes.ROUTES + "/gone", 3);

        assertNull(routes.state("a"));
        routes.sync();
        assertEquals(0, routes.state("a").appliedVersion());
        assertNull(routes.state("gone"));
        assertEquals(1, routes.zxid());
    }
}
