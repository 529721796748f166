package io.zkgate.gateway.routing;

import io.zkgate.gateway.balancer.Endpoint;
import java.util.List;

/**
 * The instances of one service frozen into a snapshot. Immutable.
 *
 * @param service   the service name
 * @param all       every instance, sorted, including drained (weight 0), disabled and ejected ones
 * @param routable  the instances that take new requests, sorted
 * @param panic     whether too few instances were healthy, so {@code routable} holds every eligible one
 */
public record ServicePool(String service, List<Endpoint> all, Endpoint[] routable, boolean panic) {
    public static ServicePool empty(String service) {
        return new ServicePool(service, List.of(), new Endpoint[0], false);
    }
}
