package io.zkgate.gateway.routing;

import static java.util.Objects.requireNonNull;

import io.zkgate.schema.HashKey;
import io.zkgate.schema.Policy;
import io.zkgate.schema.Route;
import java.util.List;

/**
 * A route's {@code lb.hashKey}, compiled once per snapshot into the code that reads it from a request. The key is a
 * plain String so that anything else (a script, later) can supply one too; an absent or empty value is null, which
 * the consistent-hash balancer answers with round-robin.
 *
 * <p>Reading allocates nothing beyond what the source itself costs: a header or the path is the String the server
 * already holds; a cookie or query parameter is found by scanning the raw header or query string in place, and only
 * its value is copied out. The servlet's {@code getCookies()} and {@code getParameter()} are not used: they parse
 * every cookie or parameter into new objects, and {@code getParameter()} would consume a form body that must be
 * proxied. Query parameters are matched and hashed as sent, without percent-decoding. The path is the canonical
 * path. The client IP is {@link RequestView#clientIp()}: the peer, or behind a trusted proxy the client it forwarded for.
 *
 * <p>Immutable and thread-safe.
 */
public final class RequestKey {
    private final HashKey.Source source;
    private final String name;

    private RequestKey(HashKey key) {
        this.source = requireNonNull(key, "key").source();
        this.name = key.name();
    }

    /** The compiled key source, or null when {@code key} is null. */
    public static RequestKey of(HashKey key) {
        return key == null ? null : new RequestKey(key);
    }

    /** The key a route hashes on: its {@code lb.hashKey} under consistent_hash, otherwise null (nothing to read). */
    public static RequestKey forRoute(Route route) {
        return route.policy() == Policy.CONSISTENT_HASH ? of(route.lb().hashKey()) : null;
    }

    /**
     * @param request the client's request
     * @return the key, or null when the request has none (or an empty one)
     */
    public String extract(RequestView request) {
        String value = switch (source) {
            case HEADER -> request.header(name);
            case COOKIE -> cookie(request, name);
            case QUERY -> queryValue(request.query(), name);
            case CLIENT_IP -> request.clientIp();
            case PATH -> request.path();
        };
        return value == null || value.isEmpty() ? null : value;
    }

    @Override
    public String toString() {
        return name == null ? source.wireName() : source.wireName() + ":" + name;
    }

    /** Cookie {@code name}'s value from the request's Cookie header(s), or null when absent or empty. */
    static String cookie(RequestView request, String name) {
        String header = request.header("Cookie");
        if (header == null) {
            return null;
        }
        String value = cookieValue(header, name);
        if (value != null) {
            return value;
        }
        // HTTP/1.1 clients send one Cookie header; HTTP/2 may split it into several. Only then look further.
        List<String> all = request.headerValues("Cookie");
        for (int i = 1; i < all.size(); i++) {
            value = cookieValue(all.get(i), name);
            if (value != null) {
                return value;
            }
        }
        return null;
    }

    /**
     * The value of cookie {@code name} in a Cookie header ({@code a=1; b="2"}), without surrounding quotes and
     * whitespace; null when it is absent or empty.
     */
    static String cookieValue(String header, String name) {
        int len = header.length();
        int nameLen = name.length();
        int i = 0;
        while (i < len) {
            while (i < len && (header.charAt(i) == ' ' || header.charAt(i) == '\t')) {
                i++;
            }
            int end = header.indexOf(';', i);
            if (end < 0) {
                end = len;
            }
            if (header.startsWith(name, i)) {
                int j = i + nameLen;
                while (j < end && (header.charAt(j) == ' ' || header.charAt(j) == '\t')) {
                    j++;
                }
                if (j < end && header.charAt(j) == '=') {
                    String value = trimmed(header, j + 1, end, true);
                    if (value != null) {
                        return value;
                    }
                }
            }
            i = end + 1;
        }
        return null;
    }

    /** The raw value of query parameter {@code name} ({@code a=1&b=2}); null when absent or empty. */
    static String queryValue(String query, String name) {
        if (query == null) {
            return null;
        }
        int nameLen = name.length();
        int i = QueryString.find(query, name, 0);
        while (i >= 0) {
            int end = QueryString.end(query, i);
            if (end > i + nameLen) { // name=..., not a bare name
                return trimmed(query, i + nameLen + 1, end, false);
            }
            i = QueryString.find(query, name, end + 1);
        }
        return null;
    }

    private static String trimmed(String s, int from, int to, boolean unquote) {
        while (from < to && (s.charAt(from) == ' ' || s.charAt(from) == '\t')) {
            from++;
        }
        while (to > from && (s.charAt(to - 1) == ' ' || s.charAt(to - 1) == '\t')) {
            to--;
        }
        if (unquote && to - from >= 2 && s.charAt(from) == '"' && s.charAt(to - 1) == '"') {
            from++;
            to--;
        }
        return from == to ? null : s.substring(from, to);
    }
}
