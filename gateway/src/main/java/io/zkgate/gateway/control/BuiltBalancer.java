package io.zkgate.gateway.control;

import io.zkgate.gateway.balancer.Balancer;
import io.zkgate.gateway.balancer.Balancers;
import io.zkgate.gateway.balancer.Endpoint;
import io.zkgate.schema.Route;
import java.util.Objects;

/**
 * A route's balancer with what it was built from. A route's entry is rebuilt when the route or its service's pool
 * changes (an ejection, a health change or a grace period ending too); if its policy and routable endpoints (the
 * same objects, in the same order) did not change it keeps its balancer, so a round-robin rotation carries on
 * undisturbed and a consistent-hash ring (about 0.2 ms to build for 20 backends, 2 ms for 100) is not rebuilt for
 * nothing. When they did change, a new ring starts from the previous one's points.
 * Immutable; built and compared on the control thread.
 */
record BuiltBalancer(Route.LoadBalancing lb, Endpoint[] endpoints, Balancer balancer) {

    static BuiltBalancer reuseOrBuild(BuiltBalancer previous, Route.LoadBalancing lb, Endpoint[] routable) {
        if (previous != null && previous.builtFrom(lb, routable)) {
            return previous;
        }
        Endpoint[] own = routable.clone();
        return new BuiltBalancer(lb, own,
                Balancers.create(lb, own.clone(), previous == null ? null : previous.balancer()));
    }

    /** Whether this balancer was built for {@code lb} over exactly {@code routable} (the same objects, in order). */
    boolean builtFrom(Route.LoadBalancing lb, Endpoint[] routable) {
        return Objects.equals(this.lb, lb) && sameObjects(endpoints, routable);
    }

    private static boolean sameObjects(Endpoint[] a, Endpoint[] b) {
        if (a.length != b.length) {
            return false;
        }
        for (int i = 0; i < a.length; i++) {
            if (a[i] != b[i]) {
                return false;
            }
        }
        return true;
    }
}
