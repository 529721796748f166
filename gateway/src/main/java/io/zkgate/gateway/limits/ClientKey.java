package io.zkgate.gateway.limits;

import io.zkgate.gateway.routing.RequestView;

/**
 * The client a {@code client_ip} rate limit counts a request under. The one place that says which address that is,
 * so that deriving it from trusted proxies' forwarding headers changes this method only. Stateless.
 */
public final class ClientKey {
    private ClientKey() {}

    /** The client's address: today the peer's. */
    public static String of(RequestView request) {
        return request.clientAddress();
    }
}
