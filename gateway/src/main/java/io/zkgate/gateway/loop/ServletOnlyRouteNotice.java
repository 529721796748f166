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
 * which the loop engine leaves to the servlet engine (its requests are refused with a 502), so it does not go
 * unnoticed. Confined to the control thread.
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
                log.warn("route {}: upstream.protocol {} is not spoken on the loop engine, its requests are answered "
                        + "502; serve it with --engine servlet", e.id(), e.route().upstreamProtocol().wireName());
            }
        }
        told = now;
    }
}
