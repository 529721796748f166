package io.zkgate.gateway.routing;

import java.nio.charset.StandardCharsets;

/**
 * What the gateway needs to know of gRPC (the gRPC over HTTP/2 protocol, PROTOCOL-HTTP2.md): which requests are
 * gRPC calls, their {@code grpc-timeout}, and the gRPC status each of the gateway's own errors is answered with,
 * since a gRPC client reads the status from the trailers, never from an HTTP error page. Stateless.
 */
public final class Grpc {
    public static final String STATUS = "grpc-status";
    public static final String MESSAGE = "grpc-message";
    public static final String TIMEOUT = "grpc-timeout";
    public static final String CONTENT_TYPE = "application/grpc";

    public static final int DEADLINE_EXCEEDED = 4;
    public static final int RESOURCE_EXHAUSTED = 8;
    public static final int UNIMPLEMENTED = 12;
    public static final int INTERNAL = 13;
    public static final int PERMISSION_DENIED = 7;
    public static final int UNAUTHENTICATED = 16;
    public static final int UNAVAILABLE = 14;

    private Grpc() {}

    /** Whether a request or response of this content type (null when absent) is gRPC. */
    public static boolean isGrpc(String contentType) {
        return contentType != null && contentType.regionMatches(true, 0, CONTENT_TYPE, 0, CONTENT_TYPE.length());
    }

    /**
     * The {@code grpc-timeout} header's value in milliseconds (rounded up, at least 1), or -1 when absent or not
     * of the form {@code 1-8 digits} and a unit of {@code H M S m u n}.
     */
    public static long timeoutMs(String value) {
        if (value == null || value.length() < 2 || value.length() > 9) {
            return -1;
        }
        long amount = 0;
        for (int i = 0; i < value.length() - 1; i++) {
            char c = value.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            amount = amount * 10 + (c - '0');
        }
        long nanos = switch (value.charAt(value.length() - 1)) {
            case 'H' -> amount * 3_600_000_000_000L;
            case 'M' -> amount * 60_000_000_000L;
            case 'S' -> amount * 1_000_000_000L;
            case 'm' -> amount * 1_000_000L;
            case 'u' -> amount * 1_000L;
            case 'n' -> amount;
            default -> -1;
        };
        return nanos < 0 ? -1 : Math.max(1, (nanos + 999_999) / 1_000_000);
    }

    /** The gRPC status a gateway error is answered with: UNAVAILABLE for anything a retry elsewhere might cure. */
    public static int status(ErrorResponse error) {
        return switch (error) {
            case NO_INSTANCES, UPSTREAM_UNREACHABLE, NOT_READY, OVERLOADED, AUTH_PENDING, HTTPS_REDIRECT -> UNAVAILABLE;
            case RATE_LIMITED -> RESOURCE_EXHAUSTED;
            case FORBIDDEN -> PERMISSION_DENIED;
            case UNAUTHORIZED -> UNAUTHENTICATED;
            case UPSTREAM_TIMEOUT -> DEADLINE_EXCEEDED;
            case NO_ROUTE, METHOD_NOT_ALLOWED, UPGRADE_NOT_SUPPORTED -> UNIMPLEMENTED;
            case BODY_TOO_LARGE -> RESOURCE_EXHAUSTED;
            case SCRIPT_ERROR, BAD_PATH -> INTERNAL;
        };
    }

    /** {@code grpc-message}'s percent-encoding: printable ASCII but '%' as is, everything else as UTF-8 %XX. */
    public static String encodeMessage(String message) {
        StringBuilder sb = new StringBuilder(message.length());
        for (byte b : message.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c >= 0x20 && c <= 0x7e && c != '%') {
                sb.append((char) c);
            } else {
                sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return sb.toString();
    }
}
