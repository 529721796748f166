package io.zkgate.gateway.edge;

import io.zkgate.gateway.support.RawHttp;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The browser's side of CORS, as the Fetch standard writes it (the "CORS check" and the "CORS-preflight fetch"
 * steps), applied to raw responses, so tests judge the gateway's headers the way a browser would. Stateless.
 */
final class FetchCors {
    private static final List<String> SAFELISTED_METHODS = List.of("GET", "HEAD", "POST");

    private FetchCors() {}

    /** Fetch's CORS check: may a page on {@code origin} read this response? */
    static boolean corsCheck(String response, String origin, boolean credentials) {
        List<String> allowOrigin = RawHttp.headers(response, "Access-Control-Allow-Origin");
        if (allowOrigin.size() != 1) {
            return false; // absent, or several values (which combine into one that matches nothing)
        }
        String value = allowOrigin.get(0);
        if (!credentials && value.equals("*")) {
            return true;
        }
        if (!value.equals(origin)) {
            return false;
        }
        return !credentials || "true".equals(RawHttp.header(response, "Access-Control-Allow-Credentials"));
    }

    /** Fetch's CORS-preflight fetch: may a page on {@code origin} send {@code method} with these headers? */
    static boolean preflightAllows(String response, String origin, boolean credentials, String method,
            List<String> authorHeaders) {
        int status = RawHttp.status(response);
        if (status < 200 || status > 299 || !corsCheck(response, origin, credentials)) {
            return false;
        }
        List<String> methods = list(RawHttp.header(response, "Access-Control-Allow-Methods"));
        List<String> headerNames = list(RawHttp.header(response, "Access-Control-Allow-Headers"));
        if (methods.isEmpty()) {
            methods = List.of(method);
        }
        if (!methods.contains(method) && !SAFELISTED_METHODS.contains(method)
                && (credentials || !methods.contains("*"))) {
            return false;
        }
        for (String header : authorHeaders) {
            boolean listed = headerNames.stream().anyMatch(h -> h.equalsIgnoreCase(header));
            if (!listed && (credentials || !headerNames.contains("*") || header.equalsIgnoreCase("Authorization"))) {
                return false;
            }
        }
        return true;
    }

    /** Whether the response carries any CORS response header. */
    static boolean anyCorsHeader(String response) {
        int end = response.indexOf("\r\n\r\n");
        return (end < 0 ? response : response.substring(0, end)).toLowerCase(Locale.ROOT)
                .contains("\r\naccess-control-");
    }

    private static List<String> list(String value) {
        return value == null ? List.of()
                : Arrays.stream(value.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }
}
