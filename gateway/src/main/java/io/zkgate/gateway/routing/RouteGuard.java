package io.zkgate.gateway.routing;

/**
 * One declarative policy of a route (CORS, IP rules, authentication, rate limits, concurrency caps), run by
 * {@link RequestRouter} for every front door after the route matched and before its Lua filter and the backend
 * pick. A guard either lets the request go on, possibly asking for header edits, or ends it with a {@link
 * Decision.Refuse} or {@link Decision.Reply}. A route's guards run in the order {@link RouteEntry#guards()} lists
 * them, which is: CORS (a preflight is answered before credentials are asked for), IP rules, authentication, rate
 * limits, concurrency caps.
 * Implementations are built once per route version and shared by all its requests: thread-safe.
 */
public interface RouteGuard {
    /**
     * @param headers this request's edits, to which the guard may add
     * @return null to let the request go on, else the decision that ends it here
     */
    Decision check(RequestView request, RouteEntry route, HeaderEdits headers);

    /**
     * The router refuses the request before the guards run (a declared body over the route's limit): the guard adds
     * the response headers the refusal still needs, without deciding anything (CORS, so a browser's page can read
     * why its request failed). Nothing is held, so {@link #ended} does not follow.
     */
    default void refusedBeforeGuards(RequestView request, HeaderEdits headers) {}

    /**
     * Whether the guard holds something for each request it lets through until that request ends (a concurrency
     * permit); if so, {@link #ended} is called exactly once for each of them.
     */
    default boolean holdsUntilEnd() {
        return false;
    }

    /**
     * A request this guard let through has ended: answered, failed, abandoned by its client, refused by a later step,
     * or upgraded to a WebSocket tunnel. Front doors reach it through {@link RequestRouter#ended}.
     */
    default void ended() {}
}
