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
 * @param routesZxid highest zxid of a route edit, creation or deletion this snapshot reflects; comparable across
 *                 gateways of one ensemble, so the fleet view can tell who has applied an operator's last edit
 */
public record Snapshot(long version, RouteTable routes, Map<String, ServicePool> services, boolean synced,
        long routesZxid) {
    public static Snapshot initial() {
        return new Snapshot(0, RouteTable.empty(), Map.of(), false, 0);
    }
}
