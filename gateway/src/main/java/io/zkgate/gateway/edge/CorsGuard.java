package io.zkgate.gateway.edge;

import com.codahale.metrics.Counter;
import io.zkgate.gateway.routing.Decision;
import io.zkgate.gateway.routing.HeaderEdits;
import io.zkgate.gateway.routing.RequestView;
import io.zkgate.gateway.routing.RouteEntry;
import io.zkgate.gateway.routing.RouteGuard;
import io.zkgate.schema.Route;
import java.util.List;

/**
 * A route's {@code cors} block, the CORS protocol of the Fetch standard answered by the gateway:
 * <ul>
 * <li>a preflight (OPTIONS with {@code Origin} and {@code Access-Control-Request-Method}) is answered 204 here and
 * never reaches the backend; for an allowed origin it carries {@code Access-Control-Allow-Origin}, {@code -Methods},
 * {@code -Headers}, {@code -Credentials} and {@code -Max-Age}; for any other origin none of them, so the browser
 * stops;</li>
 * <li>an actual request goes to the backend whatever its origin (CORS guards what a page may read, not what a server
 * accepts); the response gets {@code Access-Control-Allow-Origin}, {@code -Credentials} and {@code -Expose-Headers}
 * for an allowed origin, replacing the backend's, and no CORS headers at all (the backend's removed) for any other;</li>
 * <li>{@code Vary: Origin} is added beside the backend's {@code Vary} on every response of a route whose answer
 * depends on the origin (all but {@code *} without credentials), with or without an Origin header, so a shared cache
 * never hands one origin's answer to another.</li>
 * </ul>
 * Immutable and thread-safe.
 */
final class CorsGuard implements RouteGuard {
    static final String ORIGIN = "Origin";
    static final String REQUEST_METHOD = "Access-Control-Request-Method";
    static final String REQUEST_HEADERS = "Access-Control-Request-Headers";
    static final String ALLOW_ORIGIN = "Access-Control-Allow-Origin";
    static final String ALLOW_CREDENTIALS = "Access-Control-Allow-Credentials";
    static final String ALLOW_METHODS = "Access-Control-Allow-Methods";
    static final String ALLOW_HEADERS = "Access-Control-Allow-Headers";
    static final String EXPOSE_HEADERS = "Access-Control-Expose-Headers";
    static final String MAX_AGE = "Access-Control-Max-Age";

    private final boolean anyOrigin;
    private final String[] exact;
    /** For {@code scheme://*.domain[:port]}: the {@code scheme://} part and the {@code .domain[:port]} part. */
    private final String[] patternStarts;
    private final String[] patternEnds;
    private final boolean credentials;
    /** Joined lists, or null: none configured; {@link #REFLECT}: echo what the preflight asks. */
    private final String methods;
    private final String headers;
    private final String expose;
    private final String maxAge;
    private final boolean variesByOrigin;
    private final Counter refused;

    private static final String REFLECT = "*";

    /** @param refused counts requests from origins the route does not allow, or null */
    CorsGuard(Route route, Counter refused) {
        Route.Cors cors = route.cors();
        this.refused = refused;
        this.credentials = cors.credentials();
        this.anyOrigin = cors.allowOrigins().contains("*");
        List<String> exacts = cors.allowOrigins().stream().filter(o -> !o.contains("*")).toList();
        List<String> patterns = cors.allowOrigins().stream().filter(o -> o.contains("://*.")).toList();
        this.exact = exacts.toArray(new String[0]);
        this.patternStarts = patterns.stream().map(p -> p.substring(0, p.indexOf("://*.") + 3)).toArray(String[]::new);
        this.patternEnds = patterns.stream().map(p -> p.substring(p.indexOf("://*.") + 4)).toArray(String[]::new);
        List<String> m = cors.allowMethods();
        if (m == null) {
            m = route.match().methods().isEmpty() ? null : route.match().methods().stream().sorted().toList();
        }
        this.methods = m == null || m.contains("*") ? REFLECT : String.join(", ", m);
        this.headers = cors.allowHeaders() == null ? null
                : cors.allowHeaders().contains("*") ? REFLECT : String.join(", ", cors.allowHeaders());
        this.expose = cors.exposeHeaders() == null || cors.exposeHeaders().isEmpty() ? null
                : String.join(", ", cors.exposeHeaders());
        this.maxAge = cors.maxAgeSeconds() == null ? null : cors.maxAgeSeconds().toString();
        this.variesByOrigin = !anyOrigin || credentials;
    }

    /** Whether {@code request} is a CORS preflight (which the router matches by the method it asks for). */
    static boolean isPreflight(RequestView request) {
        return "OPTIONS".equals(request.method()) && request.header(ORIGIN) != null
                && request.header(REQUEST_METHOD) != null;
    }

    @Override
    public Decision check(RequestView request, RouteEntry route, HeaderEdits edits) {
        String origin = request.header(ORIGIN);
        boolean preflight = origin != null && isPreflight(request);
        if (variesByOrigin) {
            edits.addResponse("Vary", preflight ? "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
                    : "Origin");
        }
        if (origin == null) {
            return null;
        }
        boolean allowed = allows(origin);
        if (!allowed) {
            if (refused != null) {
                refused.inc();
            }
            if (preflight) {
                return new Decision.Reply(route, 204, edits);
            }
            edits.removeResponse(ALLOW_ORIGIN).removeResponse(ALLOW_CREDENTIALS).removeResponse(EXPOSE_HEADERS);
            return null;
        }
        if (!preflight) {
            allowActual(origin, edits);
            return null;
        }
        allowOrigin(origin, edits);
        String askedMethod = request.header(REQUEST_METHOD);
        edits.setResponse(ALLOW_METHODS, methods == REFLECT ? askedMethod.trim() : methods);
        String askedHeaders = request.header(REQUEST_HEADERS);
        if (headers == REFLECT) {
            if (askedHeaders != null && !askedHeaders.isBlank()) {
                edits.setResponse(ALLOW_HEADERS, askedHeaders.trim());
            }
        } else if (headers != null) {
            edits.setResponse(ALLOW_HEADERS, headers);
        }
        if (maxAge != null) {
            edits.setResponse(MAX_AGE, maxAge);
        }
        return new Decision.Reply(route, 204, edits);
    }

    /**
     * A request refused before the guards (413 on its declared length) gets the headers of an actual request, so
     * the page that sent it can read the refusal; a disallowed origin gets none (and is not counted: nothing was
     * refused for CORS).
     */
    @Override
    public void refusedBeforeGuards(RequestView request, HeaderEdits edits) {
        if (variesByOrigin) {
            edits.addResponse("Vary", "Origin");
        }
        String origin = request.header(ORIGIN);
        if (origin != null && allows(origin)) {
            allowActual(origin, edits);
        }
    }

    private void allowActual(String origin, HeaderEdits edits) {
        allowOrigin(origin, edits);
        if (expose != null) {
            edits.setResponse(EXPOSE_HEADERS, expose);
        }
    }

    private void allowOrigin(String origin, HeaderEdits edits) {
        edits.setResponse(ALLOW_ORIGIN, anyOrigin && !credentials ? "*" : origin);
        if (credentials) {
            edits.setResponse(ALLOW_CREDENTIALS, "true");
        }
    }

    /** Whether the route allows {@code origin}: {@code *}, an exact origin, or a {@code *.domain} pattern. */
    boolean allows(String origin) {
        if (anyOrigin) {
            return true;
        }
        for (String o : exact) {
            if (o.equalsIgnoreCase(origin)) {
                return true;
            }
        }
        for (int i = 0; i < patternStarts.length; i++) {
            String start = patternStarts[i];
            String end = patternEnds[i];
            int sub = origin.length() - end.length() - start.length();
            if (sub > 0 && origin.regionMatches(true, 0, start, 0, start.length())
                    && origin.regionMatches(true, origin.length() - end.length(), end, 0, end.length())
                    && hostLabels(origin, start.length(), start.length() + sub)) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code s[from, to)} is one or more DNS labels separated by dots (no port, path or user info). */
    private static boolean hostLabels(String s, int from, int to) {
        char previous = '.';
        for (int i = from; i < to; i++) {
            char c = Character.toLowerCase(s.charAt(i));
            boolean label = c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-';
            if (!(label || c == '.' && previous != '.')) {
                return false;
            }
            previous = c;
        }
        return previous != '.' && previous != '-' && s.charAt(from) != '-';
    }
}
