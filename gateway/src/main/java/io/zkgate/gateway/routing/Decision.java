package io.zkgate.gateway.routing;

import io.zkgate.gateway.balancer.Endpoint;
import io.zkgate.gateway.scripting.ScriptExchange;

/**
 * What {@link RequestRouter} decided for one request: refuse it, redirect it to HTTPS, let the route's script answer
 * it, or forward it. Every front door acts on these four and nothing else. Immutable (a script exchange is confined to its request).
 */
public sealed interface Decision {
    /** The matched route, or null when none matched. */
    RouteEntry route();

    /** The route id, or null when no route matched. */
    default String routeId() {
        return route() == null ? null : route().id();
    }

    /** Header edits the route's policies asked for; {@link HeaderEdits#NONE} when none. */
    HeaderEdits headers();

    /**
     * Answer with the contract's JSON error; no backend is contacted.
     *
     * @param headers response headers to send with it (for 405 the {@code Allow} header, for 429 the rate-limit
     *                state, for 401 {@code WWW-Authenticate})
     */
    record Refuse(RouteEntry route, ErrorResponse error, String message, HeaderEdits headers) implements Decision {
        public Refuse(RouteEntry route, ErrorResponse error, String message) {
            this(route, error, message, HeaderEdits.NONE);
        }
    }

    /** The route's script answered with {@code req.respond}; no backend is contacted. */
    record Answer(RouteEntry route, ScriptExchange script, HeaderEdits headers) implements Decision {}

    /**
     * The gateway answers itself with {@code status}, these headers and no body; no backend is contacted (a CORS
     * preflight, a redirect).
     */
    record Reply(RouteEntry route, int status, HeaderEdits headers) implements Decision {}

    /**
     * Send the request to {@code endpoint} as {@code upstreamPath} (the canonical path after the route's prefix
     * strip, or the script's {@code set_path}) with the script's header edits.
     *
     * @param hashKey  the key the balancer picked with, or null; a retry picks with it again
     * @param attempt  0 for the first attempt
     * @param previous the attempt before this one, or null
     * @param headers  edits to the upstream request (before the script's) and to the client's response
     * @param mirror   the mirror backend a copy of this request goes to, or null (not mirrored)
     */
    record Forward(RouteEntry route, Endpoint endpoint, ScriptExchange script, String hashKey, String upstreamPath,
            int attempt, Forward previous, HeaderEdits headers, Endpoint mirror) implements Decision {

        /** A forward without a mirror copy. */
        public Forward(RouteEntry route, Endpoint endpoint, ScriptExchange script, String hashKey, String upstreamPath,
                int attempt, Forward previous, HeaderEdits headers) {
            this(route, endpoint, script, hashKey, upstreamPath, attempt, previous, headers, null);
        }

        /** A forward without header edits or a mirror copy. */
        public Forward(RouteEntry route, Endpoint endpoint, ScriptExchange script, String hashKey, String upstreamPath,
                int attempt, Forward previous) {
            this(route, endpoint, script, hashKey, upstreamPath, attempt, previous, HeaderEdits.NONE, null);
        }

        /** The backend's {@code host:port} this forward goes to: its TLS port on routes with upstream TLS. */
        public String upstreamAuthority() {
            return route.upstreamTls() ? endpoint.tlsAuthority() : endpoint.authority();
        }

        /** The absolute URI of the mirror copy: like {@link #target} on the mirror backend. */
        public String mirrorTarget(String query) {
            String base = mirror.baseUri();
            return query == null ? base + upstreamPath : base + upstreamPath + '?' + query;
        }

        /**
         * The absolute upstream URI: the backend's base ({@code https} on its TLS port when the route asks for
         * TLS), the upstream path, and the client's query as sent.
         */
        public String target(String query) {
            String base = route.upstreamTls() ? endpoint.tlsBaseUri() : endpoint.baseUri();
            StringBuilder sb = new StringBuilder(base.length() + upstreamPath.length()
                    + (query == null ? 0 : query.length() + 1));
            sb.append(base).append(upstreamPath);
            if (query != null) {
                sb.append('?').append(query);
            }
            return sb.toString();
        }

        /** Whether an attempt of this request already went to {@code candidate}'s backend. */
        public boolean tried(Endpoint candidate) {
            for (Forward f = this; f != null; f = f.previous) {
                if (f.endpoint.sameBackend(candidate)) {
                    return true;
                }
            }
            return false;
        }

        /** The same request's next attempt, to {@code next}. */
        Forward retryTo(Endpoint next) {
            return new Forward(route, next, script, hashKey, upstreamPath, attempt + 1, this, headers, mirror);
        }
    }
}
