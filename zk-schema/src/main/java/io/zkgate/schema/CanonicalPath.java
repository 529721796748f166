package io.zkgate.schema;

import java.nio.charset.StandardCharsets;

/**
 * The one canonical form of a request path, which routes are matched on and which is forwarded, so that a backend
 * never sees a spelling that resolves to another route than the one the gateway chose.
 *
 * <p>Rules, in order (RFC 3986): a percent-encoded unreserved character is decoded (§2.3, {@code %61} is {@code a},
 * {@code %2E} is {@code .}); other percent-encodings are kept with upper-case hex digits (§6.2.2.1); characters
 * that may not appear in a path are percent-encoded (UTF-8); empty segments are dropped ({@code //} is {@code /});
 * {@code .} and {@code ..} segments are removed (§5.2.4), a trailing one leaving a trailing slash. What cannot be
 * canonicalized safely is refused rather than guessed: an encoded {@code /}, {@code \}, {@code %} or control
 * character, a raw {@code \} or control character, a malformed percent-encoding, a {@code ..} that climbs above the
 * root, and a path parameter ({@code ;} in a segment; backends disagree on whether it is part of the segment, and
 * Tomcat and Spring strip it before routing). An encoded semicolon ({@code %3B}) is an ordinary character.
 *
 * <p>A path that is already canonical, which is nearly every real request, is returned as the same String after
 * one scan, with no allocation.
 * Stateless and thread-safe.
 */
public final class CanonicalPath {
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();
    /** Characters that stand for themselves in a canonical path: unreserved, sub-delims but ';', ':', '@', '/'. */
    private static final boolean[] PLAIN = new boolean[128];
    private static final boolean[] UNRESERVED = new boolean[128];

    static {
        for (char c = 'a'; c <= 'z'; c++) {
            UNRESERVED[c] = true;
            UNRESERVED[Character.toUpperCase(c)] = true;
        }
        for (char c = '0'; c <= '9'; c++) {
            UNRESERVED[c] = true;
        }
        for (char c : "-._~".toCharArray()) {
            UNRESERVED[c] = true;
        }
        System.arraycopy(UNRESERVED, 0, PLAIN, 0, 128);
        for (char c : "!$&'()*+,=:@/".toCharArray()) {
            PLAIN[c] = true;
        }
    }

    private CanonicalPath() {}

    /** Why a path was refused; {@link #description()} is what the client's error message says. */
    public enum Problem {
        NOT_ABSOLUTE("no leading '/'"),
        ENCODED_SLASH("an encoded '/' (%2F) is ambiguous: backends disagree on whether it separates segments"),
        ENCODED_BACKSLASH("an encoded '\\' (%5C) is ambiguous: some backends take it for '/'"),
        ENCODED_PERCENT("an encoded '%' (%25) would decode to another percent-encoding"),
        ENCODED_CONTROL("an encoded control character (%00-%1F, %7F)"),
        BACKSLASH("a '\\' is ambiguous: some backends take it for '/'"),
        CONTROL("a control character"),
        BAD_ENCODING("a '%' not followed by two hex digits"),
        PARAMETER("a path parameter (';' in a segment): backends disagree on what it means; send ';' as %3B"),
        ABOVE_ROOT("a '..' segment that climbs above the root");

        private final String description;

        Problem(String description) {
            this.description = description;
        }

        public String description() {
            return description;
        }
    }

    /** A path that has no canonical form; stackless, as it answers a client's bad input. */
    public static final class BadPathException extends Exception {
        private static final long serialVersionUID = 1L;
        private final Problem problem;

        BadPathException(Problem problem) {
            super(problem.description(), null, false, false);
            this.problem = problem;
        }

        public Problem problem() {
            return problem;
        }
    }

    /**
     * @param raw the path as sent, without query or fragment
     * @return the canonical path; {@code raw} itself when it is canonical already
     * @throws BadPathException when it cannot be canonicalized safely
     */
    public static String of(String raw) throws BadPathException {
        if (raw.isEmpty() || raw.charAt(0) != '/') {
            throw new BadPathException(Problem.NOT_ABSOLUTE);
        }
        return isCanonical(raw) ? raw : rebuild(raw);
    }

    /** Whether {@code path} is its own canonical form: one scan, no allocation. */
    public static boolean isCanonical(String path) {
        int n = path.length();
        if (n == 0 || path.charAt(0) != '/') {
            return false;
        }
        for (int i = 0; i < n; i++) {
            char c = path.charAt(i);
            if (c == '%') {
                if (!isCanonicalEscape(path, i)) {
                    return false;
                }
                i += 2;
                continue;
            }
            if (c >= 128 || !PLAIN[c]) {
                return false;
            }
            if (c == '/' && i + 1 < n) {
                char next = path.charAt(i + 1);
                if (next == '/' || next == '.' && isDotSegment(path, i + 1)) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Whether the {@code %XX} at {@code i} is kept as it is: upper-case hex of a byte that is neither decoded nor refused. */
    private static boolean isCanonicalEscape(String path, int i) {
        if (i + 2 >= path.length()) {
            return false;
        }
        int hi = upperHex(path.charAt(i + 1));
        int lo = upperHex(path.charAt(i + 2));
        if (hi < 0 || lo < 0) {
            return false;
        }
        int b = hi << 4 | lo;
        return b >= 0x80 || !UNRESERVED[b] && b >= 0x20 && b != 0x7F && b != '/' && b != '\\' && b != '%';
    }

    private static int upperHex(char c) {
        return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    }

    /** Whether the segment starting at {@code from} is {@code .} or {@code ..}. */
    private static boolean isDotSegment(String path, int from) {
        int end = path.indexOf('/', from);
        int len = (end < 0 ? path.length() : end) - from;
        return len == 1 || len == 2 && path.charAt(from + 1) == '.';
    }

    private static String rebuild(String raw) throws BadPathException {
        int n = raw.length();
        StringBuilder out = new StringBuilder(n + 8);
        // out holds "/seg/seg" without a trailing slash; segmentStarts[k] is where segment k's '/' sits.
        int[] segmentStarts = new int[n / 2 + 2];
        int depth = 0;
        boolean trailingSlash = false;
        int i = 1;
        while (i <= n) {
            int end = raw.indexOf('/', i);
            if (end < 0) {
                end = n;
            }
            int mark = out.length();
            out.append('/');
            appendSegment(raw, i, end, out);
            int segLen = out.length() - mark - 1;
            boolean last = end >= n;
            if (segLen == 0 || segLen == 1 && out.charAt(mark + 1) == '.') {
                out.setLength(mark);
                trailingSlash = last;
            } else if (segLen == 2 && out.charAt(mark + 1) == '.' && out.charAt(mark + 2) == '.') {
                if (depth == 0) {
                    throw new BadPathException(Problem.ABOVE_ROOT);
                }
                depth--;
                out.setLength(segmentStarts[depth]);
                trailingSlash = last;
            } else {
                segmentStarts[depth++] = mark;
                trailingSlash = false;
            }
            i = end + 1;
        }
        if (trailingSlash || out.length() == 0) {
            out.append('/');
        }
        return out.toString();
    }

    /** Appends the canonical spelling of {@code raw[from, to)}, one segment, refusing what cannot be canonical. */
    private static void appendSegment(String raw, int from, int to, StringBuilder out) throws BadPathException {
        for (int i = from; i < to; i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                int hi = i + 1 < to ? Character.digit(raw.charAt(i + 1), 16) : -1;
                int lo = i + 2 < to ? Character.digit(raw.charAt(i + 2), 16) : -1;
                if (hi < 0 || lo < 0) {
                    throw new BadPathException(Problem.BAD_ENCODING);
                }
                int b = hi << 4 | lo;
                if (b < 128 && UNRESERVED[b]) {
                    out.append((char) b);
                } else if (b == '/') {
                    throw new BadPathException(Problem.ENCODED_SLASH);
                } else if (b == '\\') {
                    throw new BadPathException(Problem.ENCODED_BACKSLASH);
                } else if (b == '%') {
                    throw new BadPathException(Problem.ENCODED_PERCENT);
                } else if (b < 0x20 || b == 0x7F) {
                    throw new BadPathException(Problem.ENCODED_CONTROL);
                } else {
                    appendEncoded(b, out);
                }
                i += 2;
            } else if (c == ';') {
                throw new BadPathException(Problem.PARAMETER);
            } else if (c == '\\') {
                throw new BadPathException(Problem.BACKSLASH);
            } else if (c < 0x20 || c == 0x7F) {
                throw new BadPathException(Problem.CONTROL);
            } else if (c < 128 && PLAIN[c]) {
                out.append(c);
            } else {
                i = appendUtf8(raw, i, to, out);
            }
        }
    }

    /** Percent-encodes the code point at {@code i} as UTF-8; returns the index of its last char. */
    private static int appendUtf8(String raw, int i, int to, StringBuilder out) {
        int cp = raw.codePointAt(i);
        int last = i + Character.charCount(cp) - 1;
        if (cp >= Character.MIN_SURROGATE && cp <= Character.MAX_SURROGATE || last >= to) {
            cp = 0xFFFD; // a lone surrogate: the replacement character rather than invalid UTF-8
            last = i;
        }
        byte[] bytes = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
        for (byte b : bytes) {
            appendEncoded(b & 0xFF, out);
        }
        return last;
    }

    private static void appendEncoded(int b, StringBuilder out) {
        out.append('%').append(HEX[b >> 4]).append(HEX[b & 0xF]);
    }
}
