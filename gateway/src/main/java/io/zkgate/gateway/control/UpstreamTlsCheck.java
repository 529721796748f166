package io.zkgate.gateway.control;

import io.zkgate.gateway.upstream.UpstreamTlsContexts;
import io.zkgate.schema.Route;
import java.io.IOException;

/**
 * The part of a route's validation only a gateway can do: its {@code upstream.tls} files are on the gateway's host,
 * so {@code zkgate-ctl} checks their form and the gateway checks they can be read and used, refusing the route
 * version (the last good one keeps serving) when not. Stateless.
 */
final class UpstreamTlsCheck {
    private UpstreamTlsCheck() {}

    /** Why the route's TLS files cannot be used ({@code field: file: reason}), or null. */
    static String problem(Route route) {
        Route.Tls tls = route.upstreamTls();
        if (tls == null) {
            return null;
        }
        try {
            UpstreamTlsContexts.check(tls);
            return null;
        } catch (IOException e) {
            return e.getMessage();
        }
    }
}
