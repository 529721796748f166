package io.zkgate.gateway.support;

import java.io.Closeable;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.api.annotations.OnWebSocketMessage;
import org.eclipse.jetty.websocket.api.annotations.OnWebSocketOpen;
import org.eclipse.jetty.websocket.api.annotations.WebSocket;
import org.eclipse.jetty.websocket.server.WebSocketUpgradeHandler;

/**
 * A real Jetty WebSocket server on a free loopback port: it greets each connection with {@code hello from <name>}
 * at once (in the same packet as its 101, as servers that talk first do) and echoes text as {@code <name>: <text>}.
 * A handshake for a path ending in {@code /refuse} gets 403. Remembers the last handshake's path, query,
 * X-Forwarded-For and API-key headers. Thread-safe.
 */
public final class WebSocketBackend implements Closeable {
    private final String name;
    private final Server server;
    private final AtomicReference<String> lastHandshake = new AtomicReference<>();
    private final AtomicReference<String> lastApiHeaders = new AtomicReference<>();

    private WebSocketBackend(String host, String name) throws Exception {
        this.name = name;
        server = LoopbackServer.start(host, name, 0, jetty -> WebSocketUpgradeHandler.from(jetty,
                container -> container.addMapping("/*", (request, response, callback) -> {
                    String query = request.getHttpURI().getQuery();
                    lastHandshake.set(request.getHttpURI().getPath() + (query == null ? "" : "?" + query) + " for "
                            + request.getHeaders().get("X-Forwarded-For"));
                    lastApiHeaders.set("X-Api-Client=" + request.getHeaders().get("X-Api-Client")
                            + " X-Api-Key=" + request.getHeaders().get("X-Api-Key"));
                    if (request.getHttpURI().getPath().endsWith("/refuse")) {
                        Response.writeError(request, response, callback, 403);
                        return null;
                    }
                    return new Echo();
                })));
    }

    public static WebSocketBackend start(String name) throws Exception {
        return new WebSocketBackend("127.0.0.1", name);
    }

    /** A WebSocket backend listening on another loopback address, such as {@code ::1}. */
    public static WebSocketBackend startOn(String host, String name) throws Exception {
        return new WebSocketBackend(host, name);
    }

    public int port() {
        return LoopbackServer.port(server);
    }

    /** {@code <path>[?query] for <X-Forwarded-For>} of the last handshake, or null. */
    public String lastHandshake() {
        return lastHandshake.get();
    }

    /** {@code X-Api-Client=<value> X-Api-Key=<value>} as the last handshake carried them (null when absent). */
    public String lastApiHeaders() {
        return lastApiHeaders.get();
    }

    @Override
    public void close() {
        LoopbackServer.stop(server);
    }

    @WebSocket
    public final class Echo {
        @OnWebSocketOpen
        public void open(Session session) {
            session.sendText("hello from " + name, Callback.NOOP);
        }

        @OnWebSocketMessage
        public void text(Session session, String message) {
            session.sendText(name + ": " + message, Callback.NOOP);
        }
    }
}
