package io.zkgate.gateway.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.gateway.routing.RouteEntry;
import io.zkgate.gateway.routing.RouteTable;
import io.zkgate.gateway.routing.Snapshot;
import io.zkgate.gateway.routing.UpstreamPolicy;
import io.zkgate.schema.Route;
import io.zkgate.schema.RouteCodec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.server.HttpConfiguration;
import org.junit.jupiter.api.Test;

/** What the event loop hands to the servlet front door: which requests, and the bytes Jetty's connection starts from. */
class ServletHandoffTest {

    @Test
    void onlyRequestsMatchingARouteWithHttp2BackendsAreTakenOnceAFrontDoorIsSet() throws Exception {
        Snapshot both = snapshot(route("h2", ",\"upstream\":{\"protocol\":\"h2c\"}"),
                route("plain", ",\"match\":{\"pathPrefix\":\"/plain\",\"headers\":[{\"name\":\"X-H2\",\"exact\":\"no\"}]}"),
                route("cond", ",\"upstream\":{\"protocol\":\"h2\"},\"match\":{\"pathPrefix\":\"/cond\","
                        + "\"headers\":[{\"name\":\"X-H2\",\"exact\":\"yes\"}]}"));
        ServletHandoff handoff = new ServletHandoff();
        handoff.snapshotPublished(both);
        assertFalse(handoff.takes(view("GET", "/h2/x", HttpFields.EMPTY)), "no front door to hand to");

        handoff.frontDoor(new HttpConfiguration(), null, 8192);
        handoff.snapshotPublished(both);
        assertTrue(handoff.takes(view("GET", "/h2/x", HttpFields.EMPTY)));
        assertFalse(handoff.takes(view("GET", "/other", HttpFields.EMPTY)), "no route: the loop's router answers");
        assertTrue(handoff.takes(view("GET", "/cond/x", HttpFields.build().put("X-H2", "yes"))),
                "header conditions are the router's");
        assertFalse(handoff.takes(view("GET", "/cond/x", HttpFields.build().put("X-H2", "no"))));

        handoff.snapshotPublished(snapshot(route("plain", "")));
        assertFalse(handoff.takes(view("GET", "/h2/x", HttpFields.EMPTY)), "the route is gone");
    }

    @Test
    void theBytesAreTheHeadAsParsedThenWhatWasReadPastIt() {
        HttpFields headers = HttpFields.build().put(HttpHeader.HOST, "gw").put(HttpHeader.CONTENT_LENGTH, "10")
                .add("X-Two", "a").add("X-Two", "b");
        ByteBuffer input = ByteBuffer.wrap("12345GET /next HTTP/1.1".getBytes(StandardCharsets.ISO_8859_1));

        ByteBuffer bytes = ServletHandoff.bytes("POST", "/h2/x?q=1", HttpVersion.HTTP_1_1, headers, input);

        assertEquals("POST /h2/x?q=1 HTTP/1.1\r\nHost:gw\r\nContent-Length:10\r\nX-Two:a\r\nX-Two:b\r\n\r\n"
                + "12345GET /next HTTP/1.1", StandardCharsets.ISO_8859_1.decode(bytes).toString());
        assertFalse(input.hasRemaining(), "the loop keeps nothing to parse");
    }

    private static LoopRequestView view(String method, String path, HttpFields headers) {
        return new LoopRequestView(method, "gw", path, null, "127.0.0.1", "127.0.0.1", headers, false);
    }

    private static Snapshot snapshot(RouteEntry... routes) {
        return new Snapshot(1, RouteTable.of(List.of(routes)), Map.of(), true, 0);
    }

    private static RouteEntry route(String id, String fields) throws Exception {
        String json = fields.contains("\"match\"") ? "{\"service\":\"s\"" + fields + "}"
                : "{\"match\":{\"pathPrefix\":\"/" + id + "\"},\"service\":\"s\"" + fields + "}";
        Route r = RouteCodec.parse("/zkgate/routes/" + id, json.getBytes(StandardCharsets.UTF_8), id);
        return new RouteEntry(r, 0, null, new UpstreamPolicy(-1, 15_000, 1, null), null, null);
    }
}
