package io.zkgate.gateway.edge;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.gateway.metrics.MetricNames;
import io.zkgate.gateway.support.GatewayFixture;
import io.zkgate.gateway.support.Http;
import io.zkgate.gateway.support.RawHttp;
import io.zkgate.gateway.support.ScriptedBackend.Reply;
import io.zkgate.gateway.support.ScriptedBackend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client's address through the real gateway, listening on both IPv4 and IPv6 loopback, with {@code ::1} as its
 * only trusted proxy: a request from 127.0.0.1 is an untrusted client whose X-Forwarded-For is never believed, one
 * from ::1 stands for a proxy in front of the gateway. IP rules, the client_ip hash key and the access log all see
 * the same resolved address.
 */
class ClientAddressEndToEndTest {
    private static final String V4 = "127.0.0.1";
    private static final String V6 = "::1";
    @TempDir
    static Path dir;
    private static Path accessLog;
    @AutoClose
    private static GatewayFixture f;
    private static ScriptedBackend one;
    private static ScriptedBackend two;

    @BeforeAll
    static void start() throws Exception {
        accessLog = dir.resolve("access.log");
        f = new GatewayFixture("--host", "::", "--trusted-proxies", "::1", "--access-log", accessLog.toString());
        one = f.closeLater(ScriptedBackend.start(r -> Reply.keepAlive("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none")));
        two = f.closeLater(ScriptedBackend.start(r -> Reply.keepAlive("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\ntwo")));
        f.writer.register("s", "1", one.port(), 1);
        f.writer.register("s", "2", two.port(), 1);
        f.writer.putRoute("hash", """
                {"id":"hash","match":{"pathPrefix":"/hash"},"service":"s",
                 "lb":{"policy":"consistent_hash","hashKey":"client_ip"}}""");
        f.writer.putRoute("tenant", """
                {"id":"tenant","match":{"pathPrefix":"/tenant"},"service":"s","ipRules":{"allow":["10.0.0.0/8"]}}""");
        f.writer.putRoute("v4only", """
                {"id":"v4only","match":{"pathPrefix":"/v4only"},"service":"s","ipRules":{"allow":["127.0.0.0/8"]}}""");
        f.writer.putRoute("nov6", """
                {"id":"nov6","match":{"pathPrefix":"/nov6"},"service":"s","ipRules":{"deny":["::1/128"]}}""");
        await().atMost(Duration.ofSeconds(10)).until(() -> RawHttp.status(get(V4, "/hash/x", "")) == 200
                && RawHttp.status(get(V4, "/nov6/x", "")) == 200 && RawHttp.status(get(V4, "/v4only/x", "")) == 200
                && RawHttp.status(get(V4, "/tenant/x", "")) == 403);
    }

    @Test
    void ipRulesTakeAndRefuseIpv4AndIpv6Peers() throws Exception {
        long before = refusals("v4only");
        assertEquals(200, RawHttp.status(get(V4, "/v4only/x", "")));
        String refused = get(V6, "/v4only/x", "");
        assertEquals(403, RawHttp.status(refused), refused);
        assertTrue(RawHttp.body(refused).contains("\"error\":\"forbidden\""), refused);
        assertTrue(RawHttp.body(refused).contains("\"route\":\"v4only\""), refused);
        assertTrue(RawHttp.body(refused).contains("\"requestId\":\""), refused);
        assertEquals(before + 1, refusals("v4only"), "zkgate_route_refusals_total{route,reason=ip_rules}");

        assertEquals(200, RawHttp.status(get(V4, "/nov6/x", "")));
        assertEquals(403, RawHttp.status(get(V6, "/nov6/x", "")), "a deny rule on an IPv6 address");
    }

    @Test
    void anUntrustedPeersXForwardedForChangesNeitherAnAllowRuleNorTheHashKeyNorTheAccessLog() throws Exception {
        int seen = one.received().size() + two.received().size();
        assertEquals(403, RawHttp.status(get(V4, "/tenant/spoofed", "X-Forwarded-For: 10.1.1.1\r\n")),
                "a forged X-Forwarded-For does not pass the allow rule");
        assertEquals(seen, one.received().size() + two.received().size(), "nor reach the backend");

        Set<String> backends = new HashSet<>();
        for (int i = 1; i <= 24; i++) {
            String r = get(V4, "/hash/spoofed", "X-Forwarded-For: 10.2.0." + i + "\r\n");
            backends.add(RawHttp.body(r));
        }
        assertEquals(1, backends.size(), "every spoofed address hashed as the one peer: " + backends);

        ScriptedBackend last = one.received().size() > two.received().size() ? one : two;
        String forwarded = last.received().get(last.received().size() - 1).header("X-Forwarded-For");
        assertEquals("10.2.0.24, 127.0.0.1", forwarded, "still forwarded, with the peer appended");

        await().atMost(Duration.ofSeconds(5)).until(() -> logLines("/tenant/spoofed").size() == 1);
        assertTrue(logLines("/tenant/spoofed").get(0).startsWith("127.0.0.1 "), logLines("/tenant/spoofed").toString());
    }

    @Test
    void aTrustedProxysXForwardedForNamesTheClientForRulesHashKeyAndAccessLog() throws Exception {
        assertEquals(200, RawHttp.status(get(V6, "/tenant/proxied", "X-Forwarded-For: 10.1.1.1\r\n")));
        assertEquals(200, RawHttp.status(get(V6, "/tenant/proxied-twice", "X-Forwarded-For: 10.1.1.1, ::1\r\n")),
                "trusted hops are skipped from the right");
        assertEquals(403, RawHttp.status(get(V6, "/tenant/forged-left", "X-Forwarded-For: 10.1.1.1, 192.168.7.7\r\n")),
                "the right-most untrusted hop is the client; what it claims to its left is not believed");
        assertEquals(403, RawHttp.status(get(V6, "/tenant/garbage", "X-Forwarded-For: 10.1.1.1, unknown\r\n")),
                "an unreadable hop ends the walk at the proxy that wrote it");

        Set<String> backends = new HashSet<>();
        for (int i = 1; i <= 24; i++) {
            backends.add(RawHttp.body(get(V6, "/hash/proxied", "X-Forwarded-For: 10.3.0." + i + "\r\n")));
        }
        assertEquals(Set.of("one", "two"), backends, "each forwarded-for client hashes on its own");

        await().atMost(Duration.ofSeconds(5)).until(() -> logLines("/tenant/proxied ").size() == 1
                && logLines("/tenant/forged-left").size() == 1);
        assertTrue(logLines("/tenant/proxied ").get(0).startsWith("10.1.1.1 "), logLines("/tenant/proxied ").toString());
        assertTrue(logLines("/tenant/forged-left").get(0).startsWith("192.168.7.7 "));
    }

    @Test
    void aWebSocketHandshakeFromATrustedProxyIsLoggedWithTheForwardedClientWhetherForwardedOrRefused()
            throws Exception {
        String forwarded = handshake("/tenant/ws-proxied", "10.4.4.4");
        assertEquals(200, RawHttp.status(forwarded), "the backend refused the upgrade with its 200: " + forwarded);
        String refused = handshake("/tenant/ws-forged", "192.168.8.8");
        assertEquals(403, RawHttp.status(refused), refused);
        await().atMost(Duration.ofSeconds(5)).until(() -> logLines("/tenant/ws-proxied").size() == 1
                && logLines("/tenant/ws-forged").size() == 1);
        String proxied = logLines("/tenant/ws-proxied").get(0);
        assertTrue(proxied.startsWith("10.4.4.4 "), "the forwarded handshake's line: " + proxied);
        String forged = logLines("/tenant/ws-forged").get(0);
        assertTrue(forged.startsWith("192.168.8.8 "), "the refused handshake's line: " + forged);
    }

    @Test
    void adminRoutesShowsTheIpRulesAsApplied() {
        String routes = Http.json(f.adminPort(), "/admin/routes").toString();
        assertTrue(routes.contains("\"ipRules\":{\"allow\":[\"10.0.0.0/8\"]}"), routes);
        assertTrue(routes.contains("\"ipRules\":{\"deny\":[\"::1/128\"]}"), routes);
    }

    private static List<String> logLines(String containing) throws Exception {
        return Files.readAllLines(accessLog).stream().filter(l -> l.contains(containing)).toList();
    }

    private static long refusals(String route) {
        return f.gateway.metrics().registry().counter(MetricNames.tagged("zkgate_route_refusals_total", "route",
                route, "reason", "ip_rules")).getCount();
    }

    /** A WebSocket opening handshake from the trusted proxy on behalf of {@code client}. */
    private static String handshake(String path, String client) throws Exception {
        return RawHttp.exchange(V6, f.port(), "GET " + path + " HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\n"
                + "Upgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                + "X-Forwarded-For: " + client + "\r\n\r\n");
    }

    private static String get(String host, String path, String headers) throws Exception {
        return RawHttp.exchange(host, f.port(), "GET " + path + " HTTP/1.1\r\nHost: h\r\n" + headers
                + "Connection: close\r\n\r\n");
    }
}
