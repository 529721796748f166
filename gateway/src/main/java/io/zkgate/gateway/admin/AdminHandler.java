package io.zkgate.gateway.admin;

import io.zkgate.gateway.routing.SnapshotRef;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The admin port's endpoints: {@code /health} (200 while the process is up) and {@code /ready} (200 once routes and
 * services have been read from ZooKeeper in full, 503 before). Thread-safe: reads the snapshot reference only.
 */
public final class AdminHandler extends Handler.Abstract.NonBlocking {
    private final SnapshotRef snapshots;

    public AdminHandler(SnapshotRef snapshots) {
        this.snapshots = snapshots;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        String path = Request.getPathInContext(request);
        switch (path) {
            case "/health" -> json(response, callback, HttpStatus.OK_200, "{\"status\":\"up\"}\n");
            case "/ready" -> {
                boolean ready = snapshots.current().synced();
                json(response, callback, ready ? HttpStatus.OK_200 : HttpStatus.SERVICE_UNAVAILABLE_503,
                        ready ? "{\"status\":\"ready\",\"snapshot\":" + snapshots.current().version() + "}\n"
                                : "{\"status\":\"not_ready\",\"message\":\"routes and services not yet read from ZooKeeper\"}\n");
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    static void json(Response response, Callback callback, int status, String body) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        response.write(true, ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)), callback);
    }
}
