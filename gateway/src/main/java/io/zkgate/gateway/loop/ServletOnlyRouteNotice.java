package io.zkgate.gateway.loop;

import io.zkgate.gateway.routing.RouteEntry;
import io.zkgate.gateway.routing.RouteIndex;
import io.zkgate.gateway.routing.Snapshot;
import java.util.HashSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Says once per route version, when the loop engine serves the proxy port, that the route's backends speak HTTP/2,
 * which the event loop leaves to the servlet front door ({@link ServletHandoff}): its HTTP/1.1 requests, and the rest
 * of their connections, are served there, so the cost per request is the servlet's. Confined to the control thread.
 */
final class ServletOnlyRouteNotice {
    private static final Logger log = LoggerFactory.getLogger(ServletOnlyRouteNotice.class);

    private Set<String> told = new HashSet<>();

    /** Called with each published snapshot. */
    void snapshotPublished(Snapshot snapshot) {
        Set<String> now = new HashSet<>();
        for (String id : snapshot.routes().ids(RouteIndex.UPSTREAM_HTTP2)) {
            RouteEntry e = snapshot.routes().entry(id);
            String key = e.id() + "@" + e.znodeVersion();
            now.add(key);
            if (!told.contains(key)) {
                log.info("route {}: upstream.protocol {}: the event loop hands its HTTP/1.1 requests, with the rest of "
                        + "their connections, to the servlet front door, which speaks HTTP/2 to backends", e.id(),
                        e.route().upstreamProtocol().wireName());
            }
        }
        told = now;
    }
}
