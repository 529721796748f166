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

    /**
     * Answer with the contract's JSON error; no backend is contacted.
     *
     * @param allow for 405, the methods the path is served for (the {@code Allow} header), else null
     */
    record Refuse(RouteEntry route, ErrorResponse error, String message, String allow) implements Decision {
        public Refuse(RouteEntry route, ErrorResponse error, String message) {
            this(route, error, message, null);
        }
    }

    /**
     * Answer 308 with {@code location}, the same request on the gateway's TLS port; no backend is contacted.
     *
     * @param route the matched route, or null when the gateway redirects every plain-HTTP request
     */
    record Redirect(RouteEntry route, String location) implements Decision {
        public String message() {
            return "this gateway serves " + (route == null ? "requests" : "this route") + " over HTTPS: " + location;
        }
    }

    /** The route's script answered with {@code req.respond}; no backend is contacted. */
    record Answer(RouteEntry route, ScriptExchange script) implements Decision {}

    /**
     * Send the request to {@code endpoint} as {@code upstreamPath} (the canonical path after the route's prefix
     * strip, or the script's {@code set_path}) with the script's header edits.
     *
     * @param hashKey  the key the balancer picked with, or null; a retry picks with it again
     * @param attempt  0 for the first attempt
     * @param previous the attempt before this one, or null
     */
    record Forward(RouteEntry route, Endpoint endpoint, ScriptExchange script, String hashKey, String upstreamPath,
            int attempt, Forward previous) implements Decision {

        /** The absolute upstream URI: the backend's base, the upstream path, and the client's query as sent. */
        public String target(String query) {
            String base = endpoint.baseUri();
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
            return new Forward(route, next, script, hashKey, upstreamPath, attempt + 1, this);
        }
    }
}
