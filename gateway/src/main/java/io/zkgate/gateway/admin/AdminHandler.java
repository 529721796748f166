package io.zkgate.gateway.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.zkgate.config.GatewaySettings;
import io.zkgate.gateway.balancer.Endpoint;
import io.zkgate.gateway.control.ControlPlane;
import io.zkgate.gateway.control.RouteState;
import io.zkgate.gateway.control.ZooKeeperStatus;
import io.zkgate.gateway.fleet.Fleet;
import io.zkgate.gateway.metrics.GatewayMetrics;
import io.zkgate.gateway.metrics.RouteMetrics;
import io.zkgate.gateway.routing.RouteEntry;
import io.zkgate.gateway.routing.RouteMirror;
import io.zkgate.gateway.routing.RouteSplit;
import io.zkgate.gateway.routing.ServicePool;
import io.zkgate.gateway.routing.Snapshot;
import io.zkgate.gateway.routing.SnapshotRef;
import io.zkgate.gateway.tls.TlsCertificates;
import io.zkgate.gateway.tls.TlsContext;
import io.zkgate.schema.RouteCodec;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The admin port: {@code /health}, {@code /ready}, {@code /metrics} (Prometheus text), {@code /admin/routes},
 * {@code /admin/services}, {@code /admin/status} (JSON) and the status page at {@code /}. With a token configured,
 * everything but {@code /health} and {@code /ready} needs {@code Authorization: Bearer <token>}. Runs on Jetty
 * threads, never on the proxy's request path. Thread-safe: reads immutable snapshots and thread-safe holders.
 */
public final class AdminHandler extends Handler.Abstract {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final SnapshotRef snapshots;
    private final GatewayMetrics metrics;
    private final ZooKeeperStatus zk;
    /** The TLS listener, or null; set once before the server starts. */
    private volatile TlsContext tls;
    private volatile GatewaySettings.Otel otel = GatewaySettings.Otel.OFF;
    private volatile ControlPlane control;
    private volatile Fleet fleet;
    private final String version;
    private final byte[] token;
    private final Instant started = Instant.now();
    private final byte[] page;

    private volatile boolean draining;
    private volatile InstanceMetadata instanceMetadata;

    /**
     * @param token bearer token required for everything but health and readiness, or null for none
     */
    public AdminHandler(SnapshotRef snapshots, GatewayMetrics metrics, ZooKeeperStatus zk, String version,
            String token) {
        this.snapshots = snapshots;
        this.metrics = metrics;
        this.zk = zk;
        this.version = version;
        this.token = token == null || token.isEmpty() ? null : ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
        this.page = resource("status.html");
    }

    /** From now on /ready answers 503 {@code draining}: the gateway is about to stop but still serves. */
    public void draining() {
        draining = true;
    }

    /** Completes the admin API once the control path and fleet view exist (they start after the server listens). */
    public void ready(ControlPlane controlPath, Fleet fleetView) {
        this.control = controlPath;
        this.fleet = fleetView;
    }

    /** The TLS listener whose certificates {@code /admin/status} lists; without one, none are listed. */
    public void tls(TlsContext context) {
        this.tls = context;
    }

    /** The span export settings {@code /admin/status} shows under {@code tracing}. */
    public void spanExport(GatewaySettings.Otel settings) {
        this.otel = settings;
    }

    /** Where {@code /admin/services} reads each instance's metadata. */
    public void instanceMetadata(InstanceMetadata metadata) {
        this.instanceMetadata = metadata;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        String path = Request.getPathInContext(request);
        if (path.equals("/health")) {
            send(response, callback, HttpStatus.OK_200, "application/json", "{\"status\":\"up\"}\n");
            return true;
        }
        if (path.equals("/ready")) {
            if (draining) {
                send(response, callback, HttpStatus.SERVICE_UNAVAILABLE_503, "application/json",
                        "{\"status\":\"draining\",\"message\":\"stopping: still serving, take this gateway out of "
                                + "rotation\"}\n");
                return true;
            }
            Snapshot s = snapshots.current();
            send(response, callback, s.synced() ? HttpStatus.OK_200 : HttpStatus.SERVICE_UNAVAILABLE_503,
                    "application/json", s.synced()
                            ? "{\"status\":\"ready\",\"snapshot\":" + s.version() + ",\"stale\":" + zk.stale() + "}\n"
                            : "{\"status\":\"not_ready\",\"message\":\"routes and services not yet read from ZooKeeper\"}\n");
            return true;
        }
        boolean known = switch (path) {
            case "/", "/index.html", "/metrics", "/admin/routes", "/admin/services", "/admin/status" -> true;
            default -> false;
        };
        if (!known) {
            return false;
        }
        if (control == null && !path.equals("/metrics")) {
            send(response, callback, HttpStatus.SERVICE_UNAVAILABLE_503, "application/json",
                    "{\"status\":503,\"error\":\"starting\",\"message\":\"the gateway is starting\"}\n");
            return true;
        }
        if (!authorized(request)) {
            response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Bearer realm=\"zkgate\"");
            send(response, callback, HttpStatus.UNAUTHORIZED_401, "application/json",
                    "{\"status\":401,\"error\":\"unauthorized\",\"message\":\"admin token required: "
                            + "Authorization: Bearer <token>\"}\n");
            return true;
        }
        switch (path) {
            case "/", "/index.html" -> {
                response.setStatus(HttpStatus.OK_200);
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/html; charset=utf-8");
                response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
                response.write(true, ByteBuffer.wrap(page), callback);
            }
            case "/metrics" -> {
                StringWriter w = new StringWriter(16384);
                metrics.writePrometheus(w);
                send(response, callback, HttpStatus.OK_200, "text/plain; version=0.0.4; charset=utf-8", w.toString());
            }
            case "/admin/routes" -> json(response, callback, routes());
            case "/admin/services" -> json(response, callback, services());
            default -> json(response, callback, status());
        }
        return true;
    }

    private boolean authorized(Request request) {
        if (token == null) {
            return true;
        }
        String header = request.getHeaders().get(HttpHeader.AUTHORIZATION);
        return header != null && MessageDigest.isEqual(token, header.getBytes(StandardCharsets.UTF_8));
    }

    private ObjectNode routes() {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode list = root.putArray("routes");
        Map<String, RouteEntry> served = new TreeMap<>();
        for (RouteEntry e : snapshots.current().routes().entries()) {
            served.put(e.id(), e);
        }
        for (RouteState s : control.routeStates().values()) {
            ObjectNode r = list.addObject();
            r.put("id", s.id());
            r.put("znode", s.latest().getPath());
            r.put("serving", s.applied() != null);
            if (s.applied() != null) {
                r.put("version", s.appliedVersion());
                r.set("route", RouteCodec.toTree(s.applied()));
                if (s.applied().auth() != null) {
                    r.put("auth", s.applied().auth().kind());
                }
            }
            if (s.rejection() != null) {
                ObjectNode rej = r.putObject("rejected");
                rej.put("version", s.latest().getStat() == null ? -1 : s.latest().getStat().getVersion());
                rej.put("error", s.rejection());
            }
            RouteEntry e = served.get(s.id());
            if (e != null) {
                RouteMetrics m = e.metrics();
                r.put("requests", m.requests());
                r.put("serverErrors", m.serverErrors());
                r.put("instances", e.balancer().endpoints().length);
                ObjectNode limits = control.limits().describe(e.id());
                if (limits != null) {
                    r.set("limits", limits);
                }
                if (e.balancer() instanceof RouteSplit split) {
                    r.set("split", split(split));
                }
                RouteMirror mirror = e.mirror();
                if (mirror != null) {
                    ObjectNode mo = r.putObject("mirror");
                    mo.put("service", mirror.service());
                    mo.put("percent", mirror.percent());
                    mo.put("instances", mirror.instances());
                }
            }
        }
        return root;
    }

    /**
     * Each side of a weighted split: its weight, routable instances and the share of requests it gets now; a side
     * that lost every instance says so, and the others' shares show who took its traffic.
     */
    private static ArrayNode split(RouteSplit split) {
        ArrayNode sides = JSON.createArrayNode();
        for (int i = 0; i < split.sides().size(); i++) {
            RouteSplit.Side side = split.sides().get(i);
            ObjectNode o = sides.addObject();
            o.put("service", side.service());
            o.put("weight", side.weight());
            o.put("instances", side.balancer().endpoints().length);
            o.put("sharePercent", Math.round(split.share(i) * 10_000) / 100.0);
            o.put("emptied", side.emptied());
            if (side.emptied()) {
                o.put("note", "no routable instance: its share goes to the other sides");
            }
            if (side.picks() != null) {
                o.put("requests", side.picks().getCount());
            }
        }
        return sides;
    }

    private ObjectNode services() {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode list = root.putArray("services");
        Map<String, ServicePool> pools = new TreeMap<>(snapshots.current().services());
        for (ServicePool pool : pools.values()) {
            ObjectNode s = list.addObject();
            s.put("name", pool.service());
            s.put("routable", pool.routable().length);
            s.put("panic", pool.panic());
            ArrayNode instances = s.putArray("instances");
            for (Endpoint e : pool.all()) {
                boolean routable = Arrays.asList(pool.routable()).contains(e);
                boolean ejected = e.health().ejected(System.nanoTime());
                ObjectNode i = instances.addObject();
                i.put("id", e.id());
                i.put("address", e.authority());
                i.put("weight", e.weight());
                i.put("inFlight", e.inFlight());
                i.put("health", routable ? "up" : e.weight() == 0 ? "drained" : ejected ? "ejected"
                        : !e.health().activelyHealthy() ? "unhealthy" : "disabled");
                i.put("ejected", ejected);
                i.put("ejections", e.health().ejections());
                i.put("consecutiveFailures", e.health().consecutiveFailures());
                i.put("picks", metrics.backend(e).picks());
                i.put("failures", metrics.backend(e).failures());
                ObjectNode meta = i.putObject("metadata");
                InstanceMetadata source = instanceMetadata;
                if (source != null) {
                    new TreeMap<>(source.of(pool.service(), e.id())).forEach(meta::put);
                }
            }
        }
        return root;
    }

    private ObjectNode status() {
        Snapshot s = snapshots.current();
        ObjectNode root = JSON.createObjectNode();
        root.put("gateway", fleet.gatewayId());
        root.put("version", version);
        root.put("started", started.toString());
        root.put("uptimeSeconds", Duration.between(started, Instant.now()).toSeconds());
        ObjectNode z = root.putObject("zookeeper");
        z.put("connectString", zk.connectString());
        z.put("state", zk.state());
        z.put("connected", zk.connected());
        z.put("since", zk.stateSince().toString());
        z.put("stale", zk.stale());
        z.put("firstSync", zk.firstSync() == null ? null : zk.firstSync().toString());
        z.put("lastUpdate", zk.lastUpdate() == null ? null : zk.lastUpdate().toString());
        z.put("watchingSince", zk.watchingSince() == null ? null : zk.watchingSince().toString());
        if (zk.stale()) {
            z.put("staleSince", zk.stateSince().toString());
        }
        ObjectNode snap = root.putObject("snapshot");
        snap.put("version", s.version());
        snap.put("synced", s.synced());
        snap.put("routes", s.routes().entries().size());
        snap.put("services", s.services().size());
        snap.put("appliedRouteZxid", s.routesZxid());
        GatewaySettings.Otel spans = otel;
        ObjectNode tracing = root.putObject("tracing");
        tracing.put("export", spans.enabled());
        if (spans.enabled()) {
            tracing.put("endpoint", spans.endpoint().toString());
            tracing.put("sampleRatio", spans.sampleRatio());
            tracing.put("serviceName", spans.serviceName());
        }
        ArrayNode members = root.putArray("fleet");
        fleet.members().forEach(members::add);
        TlsContext context = tls;
        if (context != null) {
            ObjectNode section = root.putObject("tls");
            section.put("provider", context.provider().name());
            ArrayNode certificates = section.putArray("certificates");
            for (TlsCertificates.Loaded c : context.current().certificates()) {
                certificates.addObject().put("name", c.name()).put("source", c.source())
                        .put("notAfter", c.notAfter().toString())
                        .put("expiresInSeconds", Duration.between(Instant.now(), c.notAfter()).toSeconds());
            }
        }
        return root;
    }

    private static void json(Response response, Callback callback, ObjectNode body) throws IOException {
        send(response, callback, HttpStatus.OK_200, "application/json",
                JSON.writerWithDefaultPrettyPrinter().writeValueAsString(body) + "\n");
    }

    static void send(Response response, Callback callback, int status, String contentType, String body) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        response.write(true, ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)), callback);
    }

    private static byte[] resource(String name) {
        try (InputStream in = AdminHandler.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
