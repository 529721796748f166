package io.zkgate.gateway.routing;

import io.zkgate.gateway.balancer.Endpoint;
import java.util.List;

/**
 * The instances of one service frozen into a snapshot. Immutable.
 *
 * @param service   the service name
 * @param all       every instance, sorted, including drained (weight 0) and disabled ones
 * @param routable  the instances that take new requests, sorted
 */
public record ServicePool(String service, List<Endpoint> all, Endpoint[] routable) {
    public static ServicePool empty(String service) {
        return new ServicePool(service, List.of(), new Endpoint[0]);
    }
}
