package io.zkgate.gateway.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.zkgate.schema.Route;
import io.zkgate.schema.RouteCodec;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The table's small indexes follow every change, so publish listeners can read them instead of every route. */
class RouteTableIndexesTest {

    @Test
    void routesWithTheirOwnUpstreamClientFollowPutsReplacementsAndRemovals() throws Exception {
        RouteTable t = RouteTable.of(List.of(entry("a", 250, false), entry("b", 250, false), entry("c", -1, false)));
        assertEquals(Set.of("a", "b"), t.ids(RouteIndex.OWN_UPSTREAM_CLIENT));

        RouteTable replaced = t.with(List.of(entry("a", 250, false)), List.of());
        assertSame(t.ids(RouteIndex.OWN_UPSTREAM_CLIENT), replaced.ids(RouteIndex.OWN_UPSTREAM_CLIENT),
                "an unchanged kind shares the index");

        RouteTable oneLeft = replaced.with(List.of(), List.of("a"));
        assertEquals(Set.of("b"), oneLeft.ids(RouteIndex.OWN_UPSTREAM_CLIENT));
        RouteTable moved = oneLeft.with(List.of(entry("b", -1, false), entry("c", 1000, false)), List.of());
        assertEquals(Set.of("c"), moved.ids(RouteIndex.OWN_UPSTREAM_CLIENT));
        assertEquals(Set.of("a", "b"), t.ids(RouteIndex.OWN_UPSTREAM_CLIENT), "the older table is untouched");
    }

    @Test
    void healthCheckedIdsFollowPutsReplacementsAndRemovalsInIdOrder() throws Exception {
        RouteTable t = RouteTable.of(List.of(entry("b", -1, true), entry("a", -1, true), entry("c", -1, false)));
        assertEquals(List.of("a", "b"), List.copyOf(t.ids(RouteIndex.HEALTH_CHECKED)));

        RouteTable same = t.with(List.of(entry("a", -1, true), entry("c", 5, false)), List.of());
        assertEquals(List.of("a", "b"), List.copyOf(same.ids(RouteIndex.HEALTH_CHECKED)));

        RouteTable changed = same.with(List.of(entry("b", -1, false), entry("c", -1, true)), List.of("a"));
        assertEquals(List.of("c"), List.copyOf(changed.ids(RouteIndex.HEALTH_CHECKED)));
        assertEquals(List.of("a", "b"), List.copyOf(t.ids(RouteIndex.HEALTH_CHECKED)), "the older table is untouched");
    }

    @Test
    void http2AndCompressingRoutesAreIndexedFromTheirRouteFields() throws Exception {
        RouteEntry h2c = parsed("h", ",\"upstream\":{\"protocol\":\"h2c\"}");
        RouteEntry gzip = parsed("z", ",\"compression\":{\"enabled\":true}");
        RouteTable t = RouteTable.of(List.of(h2c, gzip, entry("p", -1, false)));
        assertEquals(Set.of("h"), t.ids(RouteIndex.UPSTREAM_HTTP2));
        assertEquals(Set.of("h"), t.ids(RouteIndex.OWN_UPSTREAM_CLIENT), "HTTP/2 to the backend needs its own client");
        assertEquals(Set.of("z"), t.ids(RouteIndex.COMPRESSED));

        RouteTable none = t.with(List.of(), List.of("h", "z"));
        assertEquals(Set.of(), none.ids(RouteIndex.UPSTREAM_HTTP2));
        assertEquals(Set.of(), none.ids(RouteIndex.COMPRESSED));
    }

    private static RouteEntry entry(String id, long connectMs, boolean healthCheck) {
        Route r = new Route(id, new Route.Match(null, "/" + id, Set.of()), "s", false, null, null, null, null, null,
                healthCheck ? new Route.HealthCheck("/health", 2000, 1000, 3, 2) : null, null, null, null, null, null,
                null, null, null, null, null, null);
        return new RouteEntry(r, 0, null, new UpstreamPolicy(connectMs, 15_000, 1, null), null, null);
    }

    private static RouteEntry parsed(String id, String fields) throws Exception {
        Route r = RouteCodec.parse("/zkgate/routes/" + id, ("{\"match\":{\"pathPrefix\":\"/" + id
                + "\"},\"service\":\"s\"" + fields + "}").getBytes(StandardCharsets.UTF_8), id);
        return new RouteEntry(r, 0, null, new UpstreamPolicy(-1, 15_000, 1, null), null, null);
    }
}
