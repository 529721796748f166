package io.zkgate.gateway.routing;

import java.util.List;

/**
 * What the router, a route's hash key and its Lua script read from a client's request, whatever front door it came
 * through (the servlet proxy, a WebSocket handshake, later the event loop). The path is the request's canonical
 * path; the query is as sent.
 * Implementations are confined to their request.
 */
public interface RequestView {
    String method();

    /** The host the request was sent to, without port, or null. */
    String host();

    /** The canonical path, without query. */
    String path();

    /** The raw query without '?', or null. */
    String query();

    /** The peer's address. */
    String clientAddress();

    /**
     * The client's address: the peer's, or when the peer is one of the gateway's {@code --trusted-proxies}, the
     * right-most X-Forwarded-For hop outside them ({@link TrustedProxies}). What {@code client_ip} hash keys, IP rules,
     * rate-limit keys, Lua's {@code req.client_ip} and the access log use.
     */
    default String clientIp() {
        return clientAddress();
    }

    /** The first value of header {@code name} (any case), or null. */
    String header(String name);

    /** Every value of header {@code name}, in order (HTTP/2 may split a Cookie header in several). */
    List<String> headerValues(String name);

    /** The declared Content-Length, or -1 when there is none. */
    long contentLength();

    /**
     * Whether the calling thread may block (a servlet thread); false on an event loop, whose one thread serves many
     * connections, so a guard there must not wait on I/O or run anything slow (such as a bcrypt check).
     */
    default boolean mayBlock() {
        return true;
    }

    /** Whether the client's connection is TLS. */
    default boolean secure() {
        return false;
    }
}
