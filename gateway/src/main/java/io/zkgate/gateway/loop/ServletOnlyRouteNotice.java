package io.zkgate.gateway.loop;

import io.zkgate.gateway.routing.RouteEntry;
import io.zkgate.gateway.routing.Snapshot;
import io.zkgate.schema.Route;
import java.util.HashSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Says once per route version, when the loop engine serves the proxy port, what of that route the loop engine
 * leaves to the servlet engine: HTTP/2 to backends (its requests are refused with a 502) and compression (its
 * bodies go out as the backend sent them), so neither goes unnoticed. Confined to the control thread.
 */
final class ServletOnlyRouteNotice {
    private static final Logger log = LoggerFactory.getLogger(ServletOnlyRouteNotice.class);

    private Set<String> told = new HashSet<>();

    /** Called with each published snapshot. */
    void snapshotPublished(Snapshot snapshot) {
        Set<String> now = new HashSet<>();
        for (RouteEntry e : snapshot.routes().entries()) {
            boolean http2 = e.route().upstreamProtocol() != Route.Upstream.Protocol.HTTP_1_1;
            if (!http2 && !e.route().compresses()) {
                continue;
            }
            String key = e.id() + "@" + e.znodeVersion();
            now.add(key);
            if (!told.contains(key)) {
                log.warn("route {}: {} on the loop engine; serve it with --engine servlet", e.id(), http2
                        ? "upstream.protocol " + e.route().upstreamProtocol().wireName()
                                + " is not spoken, its requests are answered 502"
                        : "compression is not applied, bodies go out as the backend sent them");
            }
        }
        told = now;
    }
}
