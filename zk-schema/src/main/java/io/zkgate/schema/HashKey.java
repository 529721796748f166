package io.zkgate.schema;

import static java.util.Objects.requireNonNull;

/**
 * Where a consistent-hash key comes from ({@code lb.hashKey}): {@code header:NAME}, {@code cookie:NAME},
 * {@code query:NAME}, {@code client_ip} or {@code path}.
 *
 * @param source the part of the request
 * @param name   header, cookie or query parameter name; null for {@code client_ip} and {@code path}
 */
public record HashKey(Source source, String name) {
    public enum Source {
        HEADER("header"), COOKIE("cookie"), QUERY("query"), CLIENT_IP("client_ip"), PATH("path");

        private final String wireName;

        Source(String wireName) {
            this.wireName = wireName;
        }

        public String wireName() {
            return wireName;
        }

        boolean takesName() {
            return this == HEADER || this == COOKIE || this == QUERY;
        }
    }

    public static final String FORMS = "header:NAME, cookie:NAME, query:NAME, client_ip or path";

    public HashKey {
        requireNonNull(source, "source");
        if (source.takesName() != (name != null && !name.isEmpty())) {
            throw new IllegalArgumentException("hashKey: " + source.wireName() + " (expected: " + FORMS + ")");
        }
    }

    /** Parses the wire form; null when it is not one of {@link #FORMS}. */
    public static HashKey parse(String text) {
        if (text == null) {
            return null;
        }
        int colon = text.indexOf(':');
        String kind = colon < 0 ? text : text.substring(0, colon);
        String name = colon < 0 ? null : text.substring(colon + 1).trim();
        for (Source s : Source.values()) {
            if (s.wireName.equals(kind) && s.takesName() == (name != null && !name.isEmpty())) {
                return new HashKey(s, name);
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return name == null ? source.wireName() : source.wireName() + ":" + name;
    }
}
