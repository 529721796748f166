package io.zkgate.gateway.routing;

import com.google.re2j.Pattern;
import io.zkgate.schema.Route;
import java.util.List;

/**
 * A route's {@code match.headers}, {@code match.query} and {@code match.cookies}, compiled once per route version:
 * every condition must hold. Regexes run on RE2/J, whose matching time is linear in the input whatever the pattern,
 * so no route regex can be made to backtrack (a ReDoS); they are searched for in the value ({@code find}), so
 * {@code ^...$} anchors them. Header names are case-insensitive, values case-sensitive; a header is compared on its
 * first value, as hash keys read it. Query parameters are compared raw, as sent, without percent-decoding; a
 * parameter given without {@code =} is present with an empty value. Cookie values are compared without surrounding
 * quotes.
 *
 * <p>Only routes that have conditions get an instance ({@link #of} returns null otherwise), so a route without them
 * costs the trie lookup one null check. Immutable and thread-safe.
 */
public final class MatchConditions {
    private final Check[] headers;
    private final Check[] query;
    private final Check[] cookies;
    private final Route route;

    private MatchConditions(Route route) {
        this.route = route;
        this.headers = compile(route.match().headers());
        this.query = compile(route.match().query());
        this.cookies = compile(route.match().cookies());
    }

    /** The compiled conditions of {@code route}, or null when it has none. */
    public static MatchConditions of(Route route) {
        return route.match().conditionCount() == 0 ? null : new MatchConditions(route);
    }

    /** The compiled conditions of {@code route}, reusing {@code previous} when it was compiled for the same match. */
    public static MatchConditions reuseOrCompile(MatchConditions previous, Route route) {
        if (previous != null && previous.route.match().equals(route.match())) {
            return previous;
        }
        return of(route);
    }

    /** Whether every condition holds for {@code request}; false for a null request. */
    public boolean test(RequestView request) {
        if (request == null) {
            return false;
        }
        for (Check c : headers) {
            if (!c.holds(request.header(c.name))) {
                return false;
            }
        }
        if (query.length > 0) {
            String q = request.query();
            for (Check c : query) {
                if (!c.holds(queryParameter(q, c.name))) {
                    return false;
                }
            }
        }
        for (Check c : cookies) {
            if (!c.holds(RequestKey.cookie(request, c.name))) {
                return false;
            }
        }
        return true;
    }

    /** How many conditions there are (each header, query and cookie condition counts one). */
    public int count() {
        return headers.length + query.length + cookies.length;
    }

    private static Check[] compile(List<Route.Condition> conditions) {
        Check[] out = new Check[conditions.size()];
        for (int i = 0; i < out.length; i++) {
            Route.Condition c = conditions.get(i);
            out[i] = new Check(c.name(), c.exact(), c.regex() == null ? null : Pattern.compile(c.regex()),
                    c.present());
        }
        return out;
    }

    /** One compiled condition; exactly one of exact, regex and present is set. */
    private record Check(String name, String exact, Pattern regex, Boolean present) {
        /** @param value the request's value for {@link #name}, null when absent */
        boolean holds(String value) {
            if (present != null) {
                return present == (value != null);
            }
            if (value == null) {
                return false;
            }
            return exact != null ? exact.equals(value) : regex.matcher(value).find();
        }
    }

    /** The raw value of query parameter {@code name}: "" when given without a value, null when absent. */
    static String queryParameter(String query, String name) {
        int start = query == null ? -1 : QueryString.find(query, name, 0);
        if (start < 0) {
            return null;
        }
        int end = QueryString.end(query, start);
        int value = start + name.length() + 1;
        return value > end ? "" : query.substring(value, end);
    }
}
