package io.zkgate.gateway.routing;

import io.zkgate.gateway.balancer.Endpoint;
import io.zkgate.gateway.metrics.BackendMetrics;
import io.zkgate.gateway.metrics.GatewayMetrics;
import io.zkgate.gateway.scripting.ScriptExchange;
import io.zkgate.gateway.tracing.SpanExport;
import io.zkgate.schema.Route;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The one routing decision for every front door (the servlet proxy, WebSocket handshakes, later the event loop):
 * match the route on the request's canonical path (and its header, query and cookie conditions), apply its guards
 * (method of an upgrade, declared body size, the route's declarative policies as {@link RouteGuard}s, Lua
 * {@code on_request}), read the hash key, pick a backend (through the route's weighted split, if it has one), count
 * the request toward the retry budget, and decide whether a copy goes to the route's mirror. Also the
 * one place that decides a retry (attempts, idempotence, another backend, budget), counts a backend's failures
 * toward its ejection, and records request metrics, so front doors only move bytes.
 * No Jetty types and no callbacks: a front door hands in a {@link RequestView} and acts on the {@link Decision}.
 * Thread-safe: each decision reads the current snapshot once; everything else is per request or lock-free.
 */
public final class RequestRouter {
    /** Methods that may be sent twice (RFC 9110, 9.2.2). */
    private static final Set<String> IDEMPOTENT = Set.of("GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE");

    private final SnapshotRef snapshots;
    private final GatewayMetrics metrics;
    private final long defaultMaxBodyBytes;
    private final Consumer<Endpoint> ejector;
    private final int ejectAfterFailures;
    private final TrustedProxies trustedProxies;
    private final boolean requestIds;
    private final HttpsRedirect httpsRedirect;
    /** Exports a span per request, or null when export is off (then no class of the SDK is loaded). */
    private final SpanExport spans;

    /**
     * @param metrics             where requests, retries and scripts are counted, or null to record nothing
     * @param defaultMaxBodyBytes the body limit of routes without {@code limits.maxBodyBytes}
     * @param ejector             asked to eject a backend after {@code ejectAfterFailures} failures in a row
     */
    public RequestRouter(SnapshotRef snapshots, GatewayMetrics metrics, long defaultMaxBodyBytes,
            Consumer<Endpoint> ejector, int ejectAfterFailures) {
        this(snapshots, metrics, defaultMaxBodyBytes, ejector, ejectAfterFailures, TrustedProxies.NONE, false,
                HttpsRedirect.NONE);
    }

    /**
     * @param trustedProxies whose X-Forwarded-For front doors believe when resolving {@link RequestView#clientIp()}
     * @param requestIds     whether every request gets an X-Request-Id and a trace context hop ({@link RequestTracing}),
     *                       unless its route says otherwise ({@code requestIds})
     * @param httpsRedirect  which plain-HTTP requests are redirected to the TLS port
     */
    public RequestRouter(SnapshotRef snapshots, GatewayMetrics metrics, long defaultMaxBodyBytes,
            Consumer<Endpoint> ejector, int ejectAfterFailures, TrustedProxies trustedProxies, boolean requestIds,
            HttpsRedirect httpsRedirect) {
        this(snapshots, metrics, defaultMaxBodyBytes, ejector, ejectAfterFailures, trustedProxies, requestIds,
                httpsRedirect, null);
    }

    /** @param spans exports one span per request (needs {@code requestIds}), or null for none */
    public RequestRouter(SnapshotRef snapshots, GatewayMetrics metrics, long defaultMaxBodyBytes,
            Consumer<Endpoint> ejector, int ejectAfterFailures, TrustedProxies trustedProxies, boolean requestIds,
            HttpsRedirect httpsRedirect, SpanExport spans) {
        this.spans = spans;
        this.trustedProxies = trustedProxies;
        this.requestIds = requestIds;
        this.httpsRedirect = httpsRedirect;
        this.snapshots = snapshots;
        this.metrics = metrics;
        this.defaultMaxBodyBytes = defaultMaxBodyBytes;
        this.ejector = ejector;
        this.ejectAfterFailures = ejectAfterFailures;
    }

    /** Decides what to do with {@code request}. */
    public Decision route(RequestView request) {
        String method = request.method();
        String path = request.path();
        Snapshot snapshot = snapshots.current();
        RouteEntry route = null;
        if (snapshot.synced()) {
            route = snapshot.routes().match(request.host(), path, method, request);
            if (route == null && "OPTIONS".equals(method)) {
                route = preflightRoute(snapshot, request);
            }
        }
        HeaderEdits headers = HeaderEdits.NONE;
        if (route == null ? requestIds : route.route().requestIds(requestIds)) {
            headers = new HeaderEdits();
            RequestTracing.begin(request, headers); // before any decision, so that every one carries them
            if (spans != null) {
                spans.begin(request, headers);
            }
        }
        Decision.Refuse everything = httpsRedirect.beforeRouting(request, headers);
        if (everything != null) {
            return everything;
        }
        if (!snapshot.synced()) {
            return new Decision.Refuse(null, ErrorResponse.NOT_READY,
                    "routes and services not yet read from ZooKeeper; try again shortly", headers);
        }
        if (route == null) {
            Set<String> allowed = snapshot.routes().allowedMethods(request.host(), path, request);
            if (!allowed.isEmpty()) {
                String allow = String.join(", ", allowed);
                return new Decision.Refuse(null, ErrorResponse.METHOD_NOT_ALLOWED,
                        method + " is not allowed on " + path + " (allowed: " + allow + ")",
                        writable(headers).setResponse("Allow", allow));
            }
            return new Decision.Refuse(null, ErrorResponse.NO_ROUTE, "no route for " + method + " " + path, headers);
        }
        Decision.Refuse toHttps = httpsRedirect.forRoute(request, route, headers);
        if (toHttps != null) {
            return toHttps;
        }
        if (!"GET".equals(method) && asksForWebSocket(request.header("Upgrade"))) {
            return new Decision.Refuse(route, ErrorResponse.UPGRADE_NOT_SUPPORTED,
                    "a WebSocket handshake must be a GET (RFC 6455); the backend was not contacted", headers);
        }
        long length = request.contentLength();
        if (length > 0 && length > maxBodyBytes(route)) {
            return new Decision.Refuse(route, ErrorResponse.BODY_TOO_LARGE, "request body of " + length
                    + " bytes is over the route's limit of " + maxBodyBytes(route) + " bytes",
                    beforeGuards(route, request, headers));
        }
        RouteGuard[] guards = route.guards();
        if (guards.length > 0) {
            headers = writable(headers);
            for (int i = 0; i < guards.length; i++) {
                Decision ended = guards[i].check(request, route, headers);
                if (ended != null) {
                    endGuards(guards, i);
                    return ended;
                }
            }
        }
        ScriptExchange script = null;
        if (route.script() != null) {
            long scriptStart = System.nanoTime();
            script = route.script().onRequest(request);
            if (metrics != null) {
                metrics.scriptDuration(route.script().name())
                        .update(System.nanoTime() - scriptStart, TimeUnit.NANOSECONDS);
            }
            if (script.failed()) {
                return endedHere(new Decision.Refuse(route, ErrorResponse.SCRIPT_ERROR, script.failure(), headers));
            }
            if (script.responded()) {
                return endedHere(new Decision.Answer(route, script, headers));
            }
        }
        String key = script == null ? null : script.hashKey();
        if (key == null) {
            key = headers.hashKey();
        }
        if (key == null && route.requestKey() != null) {
            key = route.requestKey().extract(request);
        }
        Endpoint endpoint = route.balancer().pick(key);
        if (endpoint == null) {
            return endedHere(new Decision.Refuse(route, ErrorResponse.NO_INSTANCES, route.service() != null
                    ? "service '" + route.service() + "' has no available instances"
                    : "no side of the split (" + route.route().describeServices() + ") has an available instance",
                    headers));
        }
        if (route.upstream().retryAttempts() > 0) {
            route.upstream().budget().request();
        }
        RouteMirror mirror = route.mirror();
        return new Decision.Forward(route, endpoint, script, key, upstreamPath(route, path, script), 0, null, headers,
                mirror == null ? null : mirror.sample());
    }

    /**
     * The span export front doors end each request's span with where its access log line is written, or null when
     * export is off.
     */
    public SpanExport spans() {
        return spans;
    }

    /**
     * The route a CORS preflight is for when the route does not take OPTIONS itself: the one matching the method the
     * preflight asks about, if that route answers preflights ({@code cors}); its CORS guard then replies.
     */
    private static RouteEntry preflightRoute(Snapshot snapshot, RequestView request) {
        String asked = request.header("Access-Control-Request-Method");
        if (asked == null || request.header("Origin") == null) {
            return null;
        }
        RouteEntry route = snapshot.routes().match(request.host(), request.path(), asked.trim());
        return route != null && route.route().cors() != null ? route : null;
    }

    /**
     * The header edits of an answer a front door makes before routing (a 400 or 431 of the HTTP parser, a
     * {@code bad_path}): the request's id and trace context when request ids are on, so that every answer carries
     * them; {@link HeaderEdits#NONE} otherwise.
     *
     * @param requestId   the client's X-Request-Id, or null (absent, or its headers were never read)
     * @param traceparent the client's traceparent, or null
     */
    public HeaderEdits unroutedIds(String requestId, String traceparent) {
        return requestIds ? RequestTracing.unrouted(requestId, traceparent) : HeaderEdits.NONE;
    }

    /** The headers of a refusal decided before the route's guards ran, with what the guards add to it (CORS). */
    private static HeaderEdits beforeGuards(RouteEntry route, RequestView request, HeaderEdits headers) {
        RouteGuard[] guards = route.guards();
        if (guards.length == 0) {
            return headers;
        }
        HeaderEdits edits = writable(headers);
        for (RouteGuard guard : guards) {
            guard.refusedBeforeGuards(request, edits);
        }
        return edits;
    }

    private static HeaderEdits writable(HeaderEdits headers) {
        return headers == HeaderEdits.NONE ? new HeaderEdits() : headers;
    }

    /**
     * The client's address for a request from {@code peer} ({@link RequestView#clientIp()}); reads X-Forwarded-For
     * only when the peer is a trusted proxy.
     *
     * @param forwardedFor gives the request's X-Forwarded-For values in order
     */
    public String clientIp(String peer, Supplier<List<String>> forwardedFor) {
        return trustedProxies.isEmpty() ? peer : trustedProxies.clientIp(peer, forwardedFor.get());
    }

    /**
     * Whether the front door must call {@link #ended} once {@code decision}'s request has ended: a forward through a
     * route with a guard that holds something per request (a concurrency permit).
     */
    public boolean tracksEnd(Decision decision) {
        if (decision instanceof Decision.Forward forward) {
            for (RouteGuard guard : forward.route().guards()) {
                if (guard.holdsUntilEnd()) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * A forwarded request has ended, whatever way (answered, failed after its retries, abandoned by the client, or
     * upgraded to a WebSocket tunnel): releases what its route's guards hold for it. Every front door calls this
     * exactly once per {@link Decision.Forward} that {@link #route} returned (the loop engine when its exchange ends,
     * the servlet engine and WebSocket handshakes when Jetty completes the request's stream); any other decision was
     * released before {@link #route} returned it.
     */
    public void ended(Decision decision) {
        if (decision instanceof Decision.Forward forward) {
            RouteGuard[] guards = forward.route().guards();
            endGuards(guards, guards.length);
        }
    }

    /** A request the route's guards all let through ends here, before reaching a backend. */
    private static Decision endedHere(Decision decision) {
        RouteGuard[] guards = decision.route().guards();
        endGuards(guards, guards.length);
        return decision;
    }

    private static void endGuards(RouteGuard[] guards, int passed) {
        for (int i = 0; i < passed; i++) {
            guards[i].ended();
        }
    }

    /**
     * Decides whether a failed attempt is retried: within the route's attempts, for an idempotent method or a
     * request that never reached the backend, only when its body (if any) can be sent again, only on a backend not
     * tried yet, and only while the route's retry budget allows (counted in {@code zkgate_retries_total} and
     * {@code zkgate_retries_denied_total}). The front door checks first that nothing was sent to the client.
     *
     * @param neverSent      the request never reached the backend (connect failure)
     * @param bodyReplayable the request has no body, or its body was kept whole and can be sent again
     * @return the next attempt, or null
     */
    public Decision.Forward retry(Decision.Forward failed, String method, boolean neverSent, boolean bodyReplayable) {
        UpstreamPolicy policy = failed.route().upstream();
        if (failed.attempt() >= policy.retryAttempts() || !bodyReplayable
                || !(neverSent || idempotent(method))) {
            return null;
        }
        Endpoint next = failed.route().balancer().pickOther(failed.hashKey(), failed::tried);
        if (next == null) {
            return null;
        }
        boolean allowed = policy.budget().tryRetry();
        if (metrics != null) {
            metrics.retry(failed.route().id(), allowed);
        }
        return allowed ? failed.retryTo(next) : null;
    }

    /** Counts the backend's answer: a 5xx toward its ejection, anything else ends its failure streak. */
    public void answered(Endpoint endpoint, int status) {
        if (status >= 500) {
            failed(endpoint);
        } else {
            endpoint.health().succeeded();
        }
    }

    /** Counts a failure to reach or hear from the backend toward its ejection. */
    public void failed(Endpoint endpoint) {
        if (endpoint.health().failed(ejectAfterFailures)) {
            ejector.accept(endpoint);
        }
    }

    /** Records a request's outcome in its route's metrics ({@code (none)} without a route). */
    public void record(RouteEntry route, String method, int status, long startNanos) {
        if (metrics != null) {
            (route == null ? metrics.noRoute() : route.metrics()).record(method, status, System.nanoTime() - startNanos);
        }
    }

    /** The backend's metrics, or null when metrics are off. */
    public BackendMetrics backendMetrics(Endpoint endpoint) {
        return metrics == null ? null : metrics.backend(endpoint);
    }

    /** The route's request body limit. */
    public long maxBodyBytes(RouteEntry route) {
        Route.Limits limits = route.route().limits();
        return limits == null || limits.maxBodyBytes() == null ? defaultMaxBodyBytes : limits.maxBodyBytes();
    }

    /** Whether {@code method} may be sent twice (RFC 9110, 9.2.2). */
    public static boolean idempotent(String method) {
        return IDEMPOTENT.contains(method);
    }

    /** Whether an Upgrade header value (null when absent) names the websocket protocol. */
    public static boolean asksForWebSocket(String upgrade) {
        return upgrade != null && upgrade.toLowerCase(Locale.ROOT).contains("websocket");
    }

    /** The path sent upstream: the script's set_path, or the canonical path less the prefix when the route strips. */
    static String upstreamPath(RouteEntry route, String path, ScriptExchange script) {
        String scripted = script == null ? null : script.upstreamPath();
        if (scripted != null) {
            return scripted;
        }
        int from = route.stripPrefix() ? route.prefix().length() : 0;
        return from == 0 ? path : from >= path.length() ? "/" : path.substring(from);
    }
}
