package io.zkgate.gateway.routing;

import io.zkgate.schema.ServiceInstance;

/**
 * Whether a plain-HTTP request is sent to HTTPS instead: every one when the gateway redirects globally
 * ({@code --tls-redirect}), else those of routes with {@code "httpsRedirect": true}. ACME HTTP-01 challenges
 * ({@code /.well-known/acme-challenge/}) are never redirected, so cert-manager and Let's Encrypt can renew over plain
 * HTTP. Thread-safe: the TLS port is set once the listener is bound.
 */
public final class HttpsRedirect {
    /** No TLS listener: nothing is redirected. */
    public static final HttpsRedirect NONE = new HttpsRedirect(false);
    private static final String ACME = "/.well-known/acme-challenge/";

    private final boolean everything;
    private volatile int tlsPort = -1;

    /** @param everything redirect every plain-HTTP request, not only those of routes that ask */
    public HttpsRedirect(boolean everything) {
        this.everything = everything;
    }

    /** The bound TLS port; until set, nothing is redirected. */
    public void tlsPort(int port) {
        this.tlsPort = port;
    }

    /**
     * The redirect for a request before its route is known (the global one), or null.
     *
     * @param headers the request's edits so far (its request id), to which the {@code Location} is added
     */
    Decision.Refuse beforeRouting(RequestView request, HeaderEdits headers) {
        return everything ? redirect(request, null, headers) : null;
    }

    /** The redirect the matched route asks for, or null. */
    Decision.Refuse forRoute(RequestView request, RouteEntry route, HeaderEdits headers) {
        return !everything && route.route().redirectsToHttps() ? redirect(request, route, headers) : null;
    }

    /** A 308 in the contract's body shape ({@code https_redirect}) with the {@code Location} to go to. */
    private Decision.Refuse redirect(RequestView request, RouteEntry route, HeaderEdits headers) {
        int port = tlsPort;
        String host = request.host();
        if (port < 0 || request.secure() || host == null || request.path().startsWith(ACME)) {
            return null;
        }
        StringBuilder location = new StringBuilder(64).append("https://");
        location.append(ServiceInstance.uriHost(host));
        if (port != 443) {
            location.append(':').append(port);
        }
        location.append(request.path());
        if (request.query() != null) {
            location.append('?').append(request.query());
        }
        return new Decision.Refuse(route, ErrorResponse.HTTPS_REDIRECT, "this gateway serves "
                + (route == null ? "requests" : "this route") + " over HTTPS: " + location,
                (headers == HeaderEdits.NONE ? new HeaderEdits() : headers).setResponse("Location", location.toString()));
    }
}
