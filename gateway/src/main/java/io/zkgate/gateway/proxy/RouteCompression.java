package io.zkgate.gateway.proxy;

import io.zkgate.gateway.routing.RouteEntry;
import io.zkgate.gateway.routing.RouteIndex;
import io.zkgate.gateway.routing.SnapshotRef;
import io.zkgate.schema.Route;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.jetty.compression.brotli.BrotliCompression;
import org.eclipse.jetty.compression.gzip.GzipCompression;
import org.eclipse.jetty.compression.server.CompressionConfig;
import org.eclipse.jetty.compression.server.CompressionHandler;
import org.eclipse.jetty.compression.zstandard.ZstandardCompression;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Response compression for routes with a {@code compression} block, on the servlet engine: Jetty's
 * {@link CompressionHandler} (gzip, brotli, zstd, chosen by the client's {@code Accept-Encoding}) with the route's
 * minimum size and media types, one handler per distinct setting. Requests of other routes pass straight on, and so
 * does everything while no route compresses. Jetty leaves a response the backend already encoded as it is; event
 * streams and gRPC are never compressed here (an event stream must flush per event, gRPC compresses per message).
 * Thread-safe: handlers are created once per setting in a concurrent map and never changed after.
 */
public final class RouteCompression extends Handler.Wrapper {
    private static final Logger log = LoggerFactory.getLogger(RouteCompression.class);
    /** Media types never compressed on top of Jetty's defaults (images, audio, video, archives). */
    private static final String[] NEVER = {"text/event-stream", "application/grpc", "application/grpc+proto",
        "application/grpc-web", "application/octet-stream"};

    private final SnapshotRef snapshots;
    private final Set<String> connectorNames;
    private final Map<Route.Compression, CompressionHandler> bySetting = new ConcurrentHashMap<>();
    /** Whether a route of the current snapshot compresses; set on the control thread at each publish. */
    private volatile boolean anyRouteCompresses;

    /** @param connectorNames the proxy connectors (plain and TLS); requests of other connectors (admin) pass on */
    public RouteCompression(Handler next, SnapshotRef snapshots, List<String> connectorNames) {
        super(next);
        this.snapshots = snapshots;
        this.connectorNames = Set.copyOf(connectorNames);
        snapshots.onPublish(s -> anyRouteCompresses = !s.routes().ids(RouteIndex.COMPRESSED).isEmpty());
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        RouteEntry route = anyRouteCompresses
                && connectorNames.contains(request.getConnectionMetaData().getConnector().getName())
                ? routeOf(request) : null;
        if (route == null || !route.route().compresses()) {
            return super.handle(request, response, callback);
        }
        CompressionHandler handler = bySetting.get(route.route().compression());
        if (handler == null) {
            handler = bySetting.computeIfAbsent(route.route().compression(), this::newHandler);
        }
        return handler.handle(request, response, callback);
    }

    /** The route the router will match (a lookup only: the decision is the router's, in the servlet). */
    private RouteEntry routeOf(Request request) {
        CoreRequestView view = new CoreRequestView(request, Request.getRemoteAddr(request));
        return snapshots.current().routes().match(view.host(), view.path(), view.method(), view);
    }

    private CompressionHandler newHandler(Route.Compression setting) {
        Handler next = new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                return RouteCompression.this.getHandler().handle(request, response, callback);
            }
        };
        CompressionHandler handler = new CompressionHandler(next);
        int min = setting.effectiveMinBytes();
        GzipCompression gzip = new GzipCompression();
        gzip.setMinCompressSize(min);
        handler.putCompression(gzip);
        BrotliCompression brotli = new BrotliCompression();
        brotli.setMinCompressSize(min);
        handler.putCompression(brotli);
        ZstandardCompression zstd = new ZstandardCompression();
        zstd.setMinCompressSize(min);
        handler.putCompression(zstd);
        CompressionConfig.Builder config = CompressionConfig.builder().defaults();
        for (String type : NEVER) {
            config.compressExcludeMimeType(type);
        }
        for (String type : setting.contentTypes()) {
            config.compressIncludeMimeType(type);
        }
        handler.putConfiguration("/", config.build());
        handler.setServer(getServer());
        try {
            handler.start();
        } catch (Exception e) {
            throw new IllegalStateException("cannot start response compression: " + e.getMessage(), e);
        }
        addBean(handler, false);
        log.info("response compression started for setting {}", setting);
        return handler;
    }

    @Override
    protected void doStop() throws Exception {
        for (CompressionHandler h : bySetting.values()) {
            h.stop();
        }
        bySetting.clear();
        super.doStop();
    }
}
