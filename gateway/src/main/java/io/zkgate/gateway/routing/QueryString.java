package io.zkgate.gateway.routing;

/**
 * Finds a parameter in a raw query string ({@code a=1&b&c=}) by its exact name, without decoding and without
 * allocating. Both readers of the query walk it with this and keep their own meaning: a match condition counts a bare
 * {@code b} as present with the value "" ({@link MatchConditions#queryParameter}), the hash key takes only a
 * non-empty {@code name=value} ({@link RequestKey#queryValue}). Stateless.
 */
final class QueryString {
    private QueryString() {}

    /**
     * The start of the first parameter at or after {@code from} named {@code name}, bare or followed by '=', or -1.
     */
    static int find(String query, String name, int from) {
        int len = query.length();
        int nameLen = name.length();
        int i = from;
        while (i < len) {
            int end = end(query, i);
            if (end - i >= nameLen && query.startsWith(name, i)
                    && (end - i == nameLen || query.charAt(i + nameLen) == '=')) {
                return i;
            }
            i = end + 1;
        }
        return -1;
    }

    /** The end (exclusive) of the parameter that starts at {@code start}: its '&amp;' or the end of the query. */
    static int end(String query, int start) {
        int end = query.indexOf('&', start);
        return end < 0 ? query.length() : end;
    }
}
