package io.zkgate.gateway.loop;

import io.zkgate.gateway.routing.RequestView;
import io.zkgate.gateway.routing.RouteEntry;
import io.zkgate.gateway.routing.RouteIndex;
import io.zkgate.gateway.routing.RouteTable;
import io.zkgate.gateway.routing.Snapshot;
import io.zkgate.schema.Route;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;

/**
 * Hands a client's HTTP/1.1 connection to Jetty's own HTTP/1.1 connection, which serves the servlet front door on
 * the same connector (as an h2c prior-knowledge connection reaches it through {@link H2cPriorKnowledge}), when a
 * request's route reaches its backends over HTTP/2 ({@code upstream.protocol} {@code h2c} or {@code h2}), which the
 * event loop does not speak: the servlet front door does, with Jetty's HTTP/2 client.
 *
 * <p>One routing decision per request. The hand-off is decided before the router runs, by a pure route match: the
 * route table's own {@link RouteTable#match} on the same canonical path, host, method and header, query and cookie
 * conditions the router matches on, which runs no guard, script, limit, counter or balancer. The servlet front door
 * then makes the request's one decision, so a rate limit, a script or a request counter acts once. (A route that
 * changes between the match and the router's look, a window of microseconds, is answered by the router's decision
 * on the loop: an HTTP/1.1 route then is served there, and one that just became HTTP/2 gets a 502 asking to retry.)
 *
 * <p>No byte lost. The request head, re-serialised from what the loop parsed (request line as received, each header
 * as {@code name:value}, so never longer than the head the client sent and within the same header limit), and every
 * byte the loop read past it (the start of a body, pipelined requests) become the new connection's first input
 * ({@link Connection.UpgradeTo#onUpgradeTo}, through {@link EndPoint#upgrade}); the rest of a body streams on from
 * the socket. The rest of that keep-alive connection stays on Jetty's connection, whatever its next requests' routes:
 * simple, and correct for pipelined requests, at the servlet front door's cost per request.
 *
 * <p>Cost for every other request: {@link #takes} reads one volatile field, null while no route of the current
 * snapshot reaches HTTP/2 backends; while one does, one route lookup more. No allocation either way.
 * Thread-safe: configured before the server starts, its route table published by the control thread.
 */
final class ServletHandoff {
    /** Jetty's HTTP/1.1 connections for plain and TLS clients; null until the servlet front door is set up. */
    private HttpConnectionFactory plain;
    private HttpConnectionFactory secure;
    /**
     * The published route table while it holds routes with HTTP/2 backends and a front door can take them; null
     * otherwise, which is all the event loop reads for every other request.
     */
    private volatile RouteTable http2Routes;

    /**
     * Sets the servlet front door's HTTP/1.1 settings (before the server starts): {@code http} for plain clients,
     * {@code https} (with its secure-request customizer) for TLS clients, or null without a TLS listener. Copies are
     * given an input buffer that holds a head at the header limit plus what the loop read past it.
     */
    void frontDoor(HttpConfiguration http, HttpConfiguration https, int maxHeaderBytes) {
        plain = factory(http, maxHeaderBytes);
        secure = https == null ? null : factory(https, maxHeaderBytes);
    }

    private static HttpConnectionFactory factory(HttpConfiguration settings, int maxHeaderBytes) {
        HttpConnectionFactory factory = new HttpConnectionFactory(new HttpConfiguration(settings));
        factory.setInputBufferSize(Math.max(factory.getInputBufferSize(), maxHeaderBytes + ClientConnection.INPUT_BYTES));
        return factory;
    }

    /** Called with each published snapshot (control thread). */
    void snapshotPublished(Snapshot snapshot) {
        RouteTable routes = snapshot.routes();
        http2Routes = plain != null && !routes.ids(RouteIndex.UPSTREAM_HTTP2).isEmpty() ? routes : null;
    }

    /** Whether {@code request}'s route reaches its backends over HTTP/2, so the servlet front door serves it. */
    boolean takes(RequestView request) {
        RouteTable routes = http2Routes;
        if (routes == null) {
            return false;
        }
        RouteEntry route = routes.match(request.host(), request.path(), request.method(), request);
        return route != null && route.route().upstreamProtocol() != Route.Upstream.Protocol.HTTP_1_1;
    }

    /**
     * The request head as the loop parsed it, and then what {@code input} holds past it (consumed here): the bytes
     * Jetty's connection starts from.
     */
    static ByteBuffer bytes(String method, String target, HttpVersion version, HttpFields headers, ByteBuffer input) {
        StringBuilder head = new StringBuilder(256).append(method).append(' ').append(target).append(' ')
                .append(version.asString()).append("\r\n");
        for (HttpField field : headers) {
            head.append(field.getName()).append(':').append(field.getValue()).append("\r\n");
        }
        byte[] bytes = head.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer all = ByteBuffer.allocate(bytes.length + input.remaining());
        all.put(bytes).put(input).flip();
        return all;
    }

    /**
     * Moves {@code client}'s endpoint to a new Jetty HTTP/1.1 connection; {@code client} gives up the bytes it holds
     * ({@link ClientConnection#onUpgradeFrom}) and is closed for the event loop. On the loop's thread.
     */
    void upgrade(ClientConnection client) {
        EndPoint endPoint = client.getEndPoint();
        HttpConnectionFactory factory = client.secure && secure != null ? secure : plain;
        endPoint.upgrade(factory.newConnection(client.connector, endPoint));
    }
}
