package io.zkgate.gateway.control;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.zkgate.gateway.balancer.Balancer;
import io.zkgate.gateway.balancer.Endpoint;
import io.zkgate.gateway.metrics.GatewayMetrics;
import io.zkgate.gateway.routing.RouteMirror;
import io.zkgate.gateway.routing.RouteSplit;
import io.zkgate.gateway.routing.ServiceMap;
import io.zkgate.gateway.routing.ServicePool;
import io.zkgate.schema.Route;
import io.zkgate.schema.RouteCodec;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RouteBalancersTest {
    private static final String CH = ",\"lb\":{\"policy\":\"consistent_hash\",\"hashKey\":\"header:X-User\"}";

    private final RouteBalancers balancers = new RouteBalancers(new GatewayMetrics());
    private final Endpoint x = new Endpoint("one", "x", "127.0.0.1", 9001, 1);
    private final Endpoint y = new Endpoint("one", "y", "127.0.0.1", 9002, 1);
    private final Endpoint z = new Endpoint("two", "z", "127.0.0.1", 9003, 1);

    @Test
    void aRouteKeepsItsBalancerWhileItsRoutableEndpointsAreTheSameObjectsAndGetsANewOneWhenTheyChange() {
        Route a = route("a", "\"service\":\"one\"");
        Balancer first = balancers.balancer(a, pools(pool("one", x)), Set.of());

        assertSame(first, balancers.balancer(a, pools(pool("one", x)), Set.of()), "a new pool of the same endpoints");
        Endpoint xAgain = new Endpoint("one", "x", "127.0.0.1", 9001, 1);
        assertNotSame(first, balancers.balancer(a, pools(pool("one", xAgain)), Set.of()), "another object");
        Balancer grown = balancers.balancer(a, pools(pool("one", xAgain, y)), Set.of());
        assertArrayEquals(new Endpoint[] {xAgain, y}, grown.endpoints());
        Route randomPolicy = route("a", "\"service\":\"one\",\"lb\":{\"policy\":\"random\"}");
        assertNotSame(grown, balancers.balancer(randomPolicy, pools(pool("one", xAgain, y)), Set.of()),
                "another policy over the same endpoints");
    }

    @Test
    void aConsistentHashRingIsSharedWithTheNamedRoutesOfItsServiceWhenTheyHashTheSameWay() {
        ServiceMap pools = pools(pool("one", x, y));
        Balancer a = balancers.balancer(route("a", "\"service\":\"one\"" + CH), pools, Set.of());

        assertSame(a, balancers.balancer(route("b", "\"service\":\"one\"" + CH), pools, Set.of("a")));
        assertNotSame(a, balancers.balancer(route("c", "\"service\":\"one\"" + CH), pools, Set.of()),
                "'a' is not among the routes named");
        assertNotSame(a, balancers.balancer(route("d", "\"service\":\"one\"" + CH.replace("X-User", "X-Other")),
                pools, Set.of("a")), "another hash key");
        assertNotSame(a, balancers.balancer(route("e", "\"service\":\"one\""), pools, Set.of("a")),
                "a round-robin rotation is the route's own");
    }

    @Test
    void aSplitRouteKeepsEachSidesBalancerWhileThatSidesServiceKeepsItsEndpoints() {
        Route split = route("s",
                "\"backends\":[{\"service\":\"one\",\"weight\":3},{\"service\":\"two\",\"weight\":1}]");
        RouteSplit first = assertInstanceOf(RouteSplit.class,
                balancers.balancer(split, pools(pool("one", x, y), pool("two", z)), Set.of()));
        assertEquals(List.of("one", "two"), first.sides().stream().map(RouteSplit.Side::service).toList());
        assertEquals(0.75, first.share(0));

        Endpoint z2 = new Endpoint("two", "z2", "127.0.0.1", 9004, 1);
        RouteSplit second = (RouteSplit) balancers.balancer(split, pools(pool("one", x, y), pool("two", z, z2)),
                Set.of());

        assertSame(first.sides().get(0).balancer(), second.sides().get(0).balancer(), "'one' kept its endpoints");
        assertNotSame(first.sides().get(1).balancer(), second.sides().get(1).balancer());
        assertArrayEquals(new Endpoint[] {x, y, z, z2}, second.endpoints());
    }

    @Test
    void aMirrorBalancesOverItsServicesRoutableInstancesAndARouteWithoutOneHasNone() {
        Route mirrored = route("m", "\"service\":\"one\",\"mirror\":{\"service\":\"two\",\"percent\":50}");
        RouteMirror mirror = balancers.mirror(mirrored, pools(pool("one", x, y), pool("two", z)));

        assertEquals("two", mirror.service());
        assertEquals(50, mirror.percent());
        assertEquals(1, mirror.instances());
        assertEquals(0, balancers.mirror(mirrored, pools(pool("one", x))).instances(), "'two' has no pool");
        assertNull(balancers.mirror(route("a", "\"service\":\"one\""), pools(pool("two", z))));
    }

    @Test
    void aForgottenRouteGetsNewBalancersAndItsRingIsNoLongerShared() {
        ServiceMap pools = pools(pool("one", x, y));
        Route a = route("a", "\"service\":\"one\"" + CH);
        Balancer first = balancers.balancer(a, pools, Set.of());

        balancers.forget("a");

        assertNotSame(first, balancers.balancer(route("b", "\"service\":\"one\"" + CH), pools, Set.of("a")));
        assertNotSame(first, balancers.balancer(a, pools, Set.of()));
    }

    private static Route route(String id, String fields) {
        String json = "{\"id\":\"" + id + "\",\"match\":{\"pathPrefix\":\"/" + id + "\"}," + fields + "}";
        try {
            return RouteCodec.parse(id, json.getBytes(StandardCharsets.UTF_8), id);
        } catch (Exception e) {
            throw new AssertionError(json, e);
        }
    }

    private static ServicePool pool(String service, Endpoint... routable) {
        return new ServicePool(service, List.of(routable), routable, false);
    }

    private static ServiceMap pools(ServicePool... pools) {
        Map<String, ServicePool> put = new HashMap<>();
        for (ServicePool p : pools) {
            put.put(p.service(), p);
        }
        return ServiceMap.empty().with(put, Set.of());
    }
}
