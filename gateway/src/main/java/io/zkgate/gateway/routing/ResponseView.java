package io.zkgate.gateway.routing;

/**
 * The headers of a backend's response as a route's Lua {@code on_response} reads and edits them, before anything
 * is sent to the client, whatever front door serves it. Implementations are confined to their request.
 */
public interface ResponseView {
    /** The first value of header {@code name} (any case), or null. */
    String header(String name);

    /** Sets header {@code name} to {@code value}, replacing every value it had. */
    void setHeader(String name, String value);

    /** Removes header {@code name}. */
    void removeHeader(String name);
}
