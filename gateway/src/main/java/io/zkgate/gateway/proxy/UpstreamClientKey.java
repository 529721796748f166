package io.zkgate.gateway.proxy;

import io.zkgate.gateway.routing.RouteEntry;
import io.zkgate.schema.Route;

/**
 * What an upstream {@code HttpClient} is configured by, so routes that agree share one: Jetty's connect timeout,
 * the TLS context and the transport are per client. Immutable.
 *
 * @param connectTimeoutMs the route's connect timeout, or the gateway's default
 * @param protocol         the transport: HTTP/1.1, or HTTP/2 (h2c in plain text, h2 over TLS)
 * @param tls              the TLS setting, or null for plain text
 */
record UpstreamClientKey(long connectTimeoutMs, Route.Upstream.Protocol protocol, Route.Tls tls) {
    static UpstreamClientKey of(RouteEntry route, long defaultConnectTimeoutMs) {
        long connect = route.upstream().connectTimeoutMs();
        return new UpstreamClientKey(connect < 0 ? defaultConnectTimeoutMs : connect, route.route().upstreamProtocol(),
                route.route().upstreamTls());
    }

    /** The servlet's own client: HTTP/1.1, plain text, the default connect timeout. */
    static UpstreamClientKey plain(long connectTimeoutMs) {
        return new UpstreamClientKey(connectTimeoutMs, Route.Upstream.Protocol.HTTP_1_1, null);
    }

    boolean http2() {
        return protocol != Route.Upstream.Protocol.HTTP_1_1;
    }

    @Override
    public String toString() {
        return protocol.wireName() + (tls == null ? "" : " tls" + (tls.verifies() ? "" : " unverified")
                + (tls.serverName() == null ? "" : " " + tls.serverName())
                + (tls.clientCertificate() == null ? "" : " client-certificate"))
                + ", connect " + connectTimeoutMs + " ms";
    }
}
