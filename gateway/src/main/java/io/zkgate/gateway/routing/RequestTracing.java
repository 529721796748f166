package io.zkgate.gateway.routing;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Gives every request an id and a place in a W3C trace, before anything else is decided, so that every answer
 * (forwarded, refused, replied, or an error the front door makes later) carries them.
 *
 * <p>{@code X-Request-Id}: a client's value is kept when it is 1-128 characters of letters, digits, '.', '_', '-'
 * (a UUID fits); otherwise, or when absent, a new one is made: 32 hex digits from {@link ThreadLocalRandom} (no
 * lock, no entropy pool; an id needs to be unique, not secret). It is sent upstream and back to the client.
 *
 * <p>{@code traceparent} (W3C Trace Context, level 1): the gateway is one hop, so a valid incoming trace keeps its
 * trace id and flags and gets a new span id (the gateway's), and {@code tracestate} goes along unchanged; an absent
 * or malformed {@code traceparent} starts a new trace (sampled flag set, so downstream tracers record it) and a
 * {@code tracestate} without a valid parent is dropped, as the standard asks. The gateway's {@code traceparent} is
 * sent upstream and also returned to the client.
 *
 * <p>Stateless and thread-safe.
 */
public final class RequestTracing {
    public static final String REQUEST_ID = "X-Request-Id";
    public static final String TRACEPARENT = "traceparent";
    public static final String TRACESTATE = "tracestate";
    private static final int MAX_ID_LENGTH = 128;
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.ISO_8859_1);

    private RequestTracing() {}

    /** Records the request's id and trace in {@code headers} and asks for them upstream and in the response. */
    public static void begin(RequestView request, HeaderEdits headers) {
        boolean continued = begin(request.header(REQUEST_ID), request.header(TRACEPARENT), headers);
        if (!continued && request.header(TRACESTATE) != null) {
            headers.removeUpstream(TRACESTATE);
        }
    }

    /**
     * The ids of an answer a front door makes before the router sees the request (a message the HTTP parser
     * refused, a path with no canonical form), by the same rules as {@link #begin}: the client's values when it sent
     * well-formed ones (null when its headers were not read), new ones otherwise.
     */
    public static HeaderEdits unrouted(String requestId, String traceparent) {
        HeaderEdits headers = new HeaderEdits();
        begin(requestId, traceparent, headers);
        return headers;
    }

    /** Records the ids and asks for them upstream and in the response; whether the client's trace is continued. */
    private static boolean begin(String id, String parent, HeaderEdits headers) {
        if (!wellFormedRequestId(id)) {
            id = newId(2);
        }
        boolean continued = validTraceparent(parent);
        headers.ids(id, hop(continued ? parent : null));
        return continued;
    }

    /**
     * The gateway's traceparent: version 00, the trace id and flags of {@code parent} (a valid one) or, when null, a
     * new trace id with the sampled flag, and a new span id. Written into one array: every request makes one.
     */
    private static String hop(String parent) {
        byte[] out = new byte[55];
        out[0] = '0';
        out[1] = '0';
        out[2] = '-';
        ThreadLocalRandom random = ThreadLocalRandom.current();
        if (parent == null) {
            hex(random.nextLong(), out, 3);
            hex(random.nextLong(), out, 19);
            out[53] = '0';
            out[54] = '1';
        } else {
            for (int i = 3; i < 35; i++) {
                out[i] = (byte) parent.charAt(i); // lower-case hex, checked
            }
            out[53] = (byte) parent.charAt(53);
            out[54] = (byte) parent.charAt(54);
        }
        out[35] = '-';
        hex(random.nextLong(), out, 36);
        out[52] = '-';
        return new String(out, StandardCharsets.ISO_8859_1);
    }

    /** Whether a client's {@code X-Request-Id} is kept: 1-128 of letters, digits, '.', '_', '-'. */
    public static boolean wellFormedRequestId(String id) {
        if (id == null || id.isEmpty() || id.length() > MAX_ID_LENGTH) {
            return false;
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_'
                    || c == '-')) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether {@code value} is a traceparent the gateway continues: version 2 hex digits other than {@code ff},
     * a 32-hex-digit trace id and a 16-hex-digit parent id, neither all zeros, and 2 hex digits of flags, in lower
     * case, separated by '-'; version 00 is exactly that long, a later version may go on after another '-'.
     */
    public static boolean validTraceparent(String value) {
        if (value == null || value.length() < 55) {
            return false;
        }
        if (!lowerHex(value, 0, 2) || value.startsWith("ff") || value.charAt(2) != '-' || !lowerHex(value, 3, 35)
                || value.charAt(35) != '-' || !lowerHex(value, 36, 52) || value.charAt(52) != '-'
                || !lowerHex(value, 53, 55)) {
            return false;
        }
        if (value.length() > 55 && (value.startsWith("00") || value.charAt(55) != '-')) {
            return false;
        }
        return !zeros(value, 3, 35) && !zeros(value, 36, 52);
    }

    private static boolean lowerHex(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
                return false;
            }
        }
        return true;
    }

    private static boolean zeros(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            if (s.charAt(i) != '0') {
                return false;
            }
        }
        return true;
    }

    /** {@code longs} random 64-bit values as 16 lower-case hex digits each, never all zeros. */
    static String newId(int longs) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        byte[] out = new byte[16 * longs];
        for (int l = 0; l < longs; l++) {
            hex(random.nextLong(), out, l * 16);
        }
        return new String(out, StandardCharsets.ISO_8859_1);
    }

    /** Writes {@code v} (0 taken as 1, so an id is never all zeros) as 16 lower-case hex digits from {@code at}. */
    private static void hex(long v, byte[] out, int at) {
        if (v == 0) {
            v = 1;
        }
        for (int i = at + 15; i >= at; i--) {
            out[i] = HEX[(int) (v & 0xf)];
            v >>>= 4;
        }
    }
}
