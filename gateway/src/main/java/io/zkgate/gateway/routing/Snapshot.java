package io.zkgate.gateway.routing;

import java.util.Map;

/**
 * Everything the request path needs, built on the control thread and published with one reference swap.
 * Immutable.
 *
 * @param version  increases by one with every published snapshot
 * @param routes   the route table
 * @param services the frozen instances by service name
 * @param synced   whether routes and services had been fully read from ZooKeeper at least once
 */
public record Snapshot(long version, RouteTable routes, Map<String, ServicePool> services, boolean synced) {
    public static Snapshot initial() {
        return new Snapshot(0, RouteTable.empty(), Map.of(), false);
    }
}
