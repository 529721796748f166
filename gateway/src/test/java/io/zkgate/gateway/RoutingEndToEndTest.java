package io.zkgate.gateway;

import static io.zkgate.gateway.support.Http.backendOf;
import static io.zkgate.gateway.support.ZkWriter.route;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.zkgate.gateway.control.RouteState;
import io.zkgate.gateway.support.GatewayFixture;
import io.zkgate.gateway.support.Http;
import io.zkgate.gateway.support.RefusedPort;
import io.zkgate.gateway.support.TestBackend;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.apache.curator.x.discovery.ServiceDiscovery;
import org.apache.curator.x.discovery.ServiceDiscoveryBuilder;
import org.apache.curator.x.discovery.ServiceInstance;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Real ZooKeeper, real gateway, real Jetty backends, real HTTP client: the walking skeleton end to end. */
class RoutingEndToEndTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @AutoClose
    private static GatewayFixture f;

    @BeforeAll
    static void start() throws Exception {
        f = GatewayFixture.synced("--empty-service-grace-ms", "200");
    }

    @Test
    void aRegisteredBackendIsRoutableWithinOneSecondAndAfterItsZnodeIsDeletedNoRequestReachesItAfterOneSecond()
            throws Exception {
        TestBackend a = f.closeLater(TestBackend.start("reg-a"));
        TestBackend b = f.closeLater(TestBackend.start("reg-b"));
        f.writer.putRoute("reg", route("reg", "/reg", "reg"));
        f.writer.register("reg", "b", b.port(), 1);
        await().atMost(Duration.ofSeconds(5)).until(() -> backendOf(Http.get(f.port(), "/reg/")).equals("reg-b"));

        f.writer.register("reg", "a", a.port(), 1);
        await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(20))
                .until(() -> backendOf(Http.get(f.port(), "/reg/")).equals("reg-a"));

        f.writer.deregister("reg", "a");
        Thread.sleep(1000);
        int hitsBefore = a.hits();
        for (int i = 0; i < 20; i++) {
            assertEquals("reg-b", backendOf(Http.get(f.port(), "/reg/")));
        }
        assertEquals(hitsBefore, a.hits(), "a deregistered backend still got requests");
    }

    @Test
    void aRouteCreatedEditedAndDeletedInZooKeeperTakesEffectWithoutRestart() throws Exception {
        TestBackend one = f.closeLater(TestBackend.start("edit-one"));
        TestBackend two = f.closeLater(TestBackend.start("edit-two"));
        f.writer.register("edit-one", "1", one.port(), 1);
        f.writer.register("edit-two", "1", two.port(), 1);

        f.writer.putRoute("edit", route("edit", "/v1", "edit-one"));
        await().atMost(Duration.ofSeconds(5)).until(() -> backendOf(Http.get(f.port(), "/v1/x")).equals("edit-one"));

        f.writer.putRoute("edit", route("edit", "/v2", "edit-two"));
        await().atMost(Duration.ofSeconds(5)).until(() -> backendOf(Http.get(f.port(), "/v2/x")).equals("edit-two"));
        assertEquals(404, Http.get(f.port(), "/v1/x").statusCode());

        f.writer.deleteRoute("edit");
        await().atMost(Duration.ofSeconds(5)).until(() -> Http.get(f.port(), "/v2/x").statusCode() == 404);
    }

    @Test
    void badRouteZnodesAreSkippedWhileOtherRoutesKeepWorkingAndAnInvalidEditKeepsTheLastGoodVersion()
            throws Exception {
        TestBackend good = f.closeLater(TestBackend.start("good"));
        TestBackend other = f.closeLater(TestBackend.start("other"));
        f.writer.register("good", "1", good.port(), 1);
        f.writer.register("other", "1", other.port(), 1);
        f.writer.putRoute("good", route("good", "/good", "good"));
        await().atMost(Duration.ofSeconds(5)).until(() -> backendOf(Http.get(f.port(), "/good")).equals("good"));

        Map<String, String> bad = Map.of(
                "bad-json", "{\"id\":\"bad-json\",\"match\":{\"pathPrefix\":\"/bad-json\"",
                "bad-type", "{\"id\":\"bad-type\",\"match\":{\"pathPrefix\":\"/bad-type\"},\"service\":\"other\","
                        + "\"stripPrefix\":\"yes\"}",
                "bad-policy", "{\"id\":\"bad-policy\",\"match\":{\"pathPrefix\":\"/bad-policy\"},\"service\":\"other\","
                        + "\"lb\":{\"policy\":\"fastest\"}}",
                "bad-service", "{\"id\":\"bad-service\",\"match\":{\"pathPrefix\":\"/bad-service\"}}",
                "bad-duplicate", route("bad-duplicate", "/good/", "other"));
        Map<String, String> expectedField = Map.of(
                "bad-json", "invalid JSON", "bad-type", "stripPrefix", "bad-policy", "lb.policy",
                "bad-service", "service", "bad-duplicate", "duplicate match");
        for (Map.Entry<String, String> e : bad.entrySet()) {
            f.writer.putRoute(e.getKey(), e.getValue());
        }
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            Map<String, RouteState> states = f.gateway.control().routeStates();
            for (String id : bad.keySet()) {
                RouteState s = states.get(id);
                assertNotNull(s, id);
                assertNull(s.applied(), id + " must not be applied");
                assertNotNull(s.rejection(), id);
                assertTrue(s.rejection().contains("/zkgate/routes/" + id), s.rejection());
                assertTrue(s.rejection().contains(expectedField.get(id)), s.rejection());
            }
        });
        for (String id : bad.keySet()) {
            if (!id.equals("bad-duplicate")) {
                assertEquals(404, Http.get(f.port(), "/" + id).statusCode(), id);
            }
        }
        for (int i = 0; i < 5; i++) {
            assertEquals("good", backendOf(Http.get(f.port(), "/good/x")), "the duplicate must not take over");
        }

        f.writer.putRoute("good", "{\"id\":\"good\",\"match\":{\"pathPrefix\":\"/good\"},\"service\":\"good\","
                + "\"lb\":{\"policy\":\"no_such_policy\"}}");
        await().atMost(Duration.ofSeconds(5)).until(() -> f.gateway.control().routeStates().get("good").rejection() != null);
        RouteState kept = f.gateway.control().routeStates().get("good");
        assertEquals(0, kept.appliedVersion(), "last good version is the first one");
        assertEquals("good", backendOf(Http.get(f.port(), "/good/x")), "last good version keeps serving");

        f.writer.deleteRoute("good");
        await().atMost(Duration.ofSeconds(5)).until(() -> backendOf(Http.get(f.port(), "/good/x")).equals("other"));
        assertNull(f.gateway.control().routeStates().get("bad-duplicate").rejection(),
                "a route refused as a duplicate is applied once the route it clashed with is gone");
    }

    /** A backend named {@code name}, alone in service {@code name}, served on prefix {@code /name}. */
    private static void serveAlone(String name) throws Exception {
        f.writer.register(name, "1", f.closeLater(TestBackend.start(name)).port(), 1);
        f.writer.putRoute(name, route(name, "/" + name, name));
        await().atMost(Duration.ofSeconds(5)).until(() -> backendOf(Http.get(f.port(), "/" + name)).equals(name));
    }

    /** Payload class for curator-x-discovery's own JSON serializer. */
    public static final class Details {
        public String zone = "z1";
    }

    @Test
    void servicesRegisteredByCuratorDiscoveryItselfAndBySpringCloudZookeeperAreRoutable() throws Exception {
        TestBackend curator = f.closeLater(TestBackend.start("curator"));
        ServiceDiscovery<Details> discovery = ServiceDiscoveryBuilder.builder(Details.class)
                .client(f.operator)
                .basePath("/services")
                .thisInstance(ServiceInstance.<Details>builder()
                        .name("native").address("127.0.0.1").port(curator.port()).payload(new Details()).build())
                .build();
        discovery.start();
        f.closeLater(discovery);
        f.writer.putRoute("native", route("native", "/native", "native"));
        await().atMost(Duration.ofSeconds(5)).until(() -> backendOf(Http.get(f.port(), "/native/")).equals("curator"));

        TestBackend spring = f.closeLater(TestBackend.start("spring"));
        f.writer.putRaw("/services/spring-svc/5c7e0d0a-1111-4f7e-9f3e-0d8c1f2b7a10", "{\"name\":\"spring-svc\","
                + "\"id\":\"5c7e0d0a-1111-4f7e-9f3e-0d8c1f2b7a10\",\"address\":\"127.0.0.1\",\"port\":" + spring.port()
                + ",\"sslPort\":null,\"payload\":{\"@class\":\"org.springframework.cloud.zookeeper.discovery."
                + "ZookeeperInstance\",\"id\":\"spring-svc\",\"name\":\"spring-svc\",\"metadata\":{\"weight\":\"2\","
                + "\"instance_status\":\"UP\"}},\"registrationTimeUTC\":1700000000000,\"serviceType\":\"DYNAMIC\","
                + "\"uriSpec\":{\"parts\":[{\"value\":\"scheme\",\"variable\":true},{\"value\":\"://\",\"variable\":false}]}}");
        f.writer.putRoute("spring", route("spring", "/spring", "spring-svc"));
        await().atMost(Duration.ofSeconds(5)).until(() -> backendOf(Http.get(f.port(), "/spring/")).equals("spring"));
        assertEquals(2, f.gateway.snapshots().current().services().get("spring-svc").routable()[0].weight(),
                "weight read from payload.metadata.weight");
    }

    @Test
    void matchingTakesHostThenLongestPrefixOnSegmentBoundariesThenMethodsAndStripsPrefixes() throws Exception {
        String[] names = {"m-api", "m-users", "m-host", "m-post"};
        for (String n : names) {
            f.writer.register(n, "1", f.closeLater(TestBackend.start(n)).port(), 1);
        }
        f.writer.putRoute("m-api", route("m-api", "/api", "m-api"));
        f.writer.putRoute("m-users", route("m-users", "/api/users/", "m-users"));
        f.writer.putRoute("m-host", "{\"id\":\"m-host\",\"match\":{\"host\":\"shop.example.com\",\"pathPrefix\":\"/api\"},"
                + "\"service\":\"m-host\"}");
        f.writer.putRoute("m-post", "{\"id\":\"m-post\",\"match\":{\"pathPrefix\":\"/api\",\"methods\":[\"POST\",\"put\"]},"
                + "\"service\":\"m-post\"}");
        f.writer.putRoute("m-strip", "{\"id\":\"m-strip\",\"match\":{\"pathPrefix\":\"/strip/\"},\"service\":\"m-api\","
                + "\"stripPrefix\":true}");
        await().atMost(Duration.ofSeconds(5)).until(() -> f.gateway.snapshots().current().routes().entries().stream()
                .filter(e -> e.id().startsWith("m-")).count() == 5
                && f.gateway.snapshots().current().services().containsKey("m-post"));

        assertEquals("m-api", backendOf(Http.get(f.port(), "/api")));
        assertEquals("m-api", backendOf(Http.get(f.port(), "/api/orders")));
        assertEquals("m-users", backendOf(Http.get(f.port(), "/api/users")));
        assertEquals("m-users", backendOf(Http.get(f.port(), "/api/users/7")));
        assertEquals("m-api", backendOf(Http.get(f.port(), "/api/usersx")), "segment boundary");
        assertEquals(404, Http.get(f.port(), "/apix").statusCode(), "segment boundary");
        assertEquals("m-host", backendOf(Http.get(f.port(), "/api/x", "Host", "shop.example.com")));
        assertEquals("m-host", backendOf(Http.get(f.port(), "/api/x", "Host", "SHOP.example.com:8080")));
        assertEquals("m-api", backendOf(Http.get(f.port(), "/api/x", "Host", "other.example.com")));
        assertEquals("m-host", backendOf(Http.get(f.port(), "/api/users", "Host", "shop.example.com")),
                "a route for the exact host wins over a longer host-less prefix");
        assertEquals("m-api", backendOf(Http.get(f.port(), "/strip/q", "Host", "shop.example.com")),
                "no route of the host matches the path, so host-less routes are tried");
        assertEquals("m-post", backendOf(Http.send("POST", f.port(), "/api/x", Map.of())));
        assertEquals("m-post", backendOf(Http.send("PUT", f.port(), "/api/x", Map.of())));
        assertEquals("m-api", backendOf(Http.send("DELETE", f.port(), "/api/x", Map.of())));

        HttpResponse<String> stripped = Http.get(f.port(), "/strip/a/b?q=1&r=%20");
        assertEquals("m-api /a/b?q=1&r=%20\n", stripped.body());
        assertEquals("m-api /\n", Http.get(f.port(), "/strip").body());
        assertEquals("m-api /api/k?x=y\n", Http.get(f.port(), "/api/k?x=y").body(), "no strip: path kept");
    }

    @Test
    void errorsAnswerWithTheContractJsonBodies() throws Exception {
        HttpResponse<String> noRoute = Http.get(f.port(), "/nowhere/at/all");
        assertError(noRoute, 404, "no_route", null);

        f.writer.putRoute("e-empty", route("e-empty", "/e-empty", "e-empty"));
        await().atMost(Duration.ofSeconds(5)).until(() -> Http.get(f.port(), "/e-empty").statusCode() == 503);
        assertError(Http.get(f.port(), "/e-empty"), 503, "no_instances", "e-empty");

        f.writer.register("e-dead", "1", f.closeLater(new RefusedPort()).port(), 1);
        f.writer.putRoute("e-dead", route("e-dead", "/e-dead", "e-dead"));
        await().atMost(Duration.ofSeconds(5)).until(() -> Http.get(f.port(), "/e-dead").statusCode() == 502);
        assertError(Http.get(f.port(), "/e-dead"), 502, "upstream_unreachable", "e-dead");

        TestBackend stall = f.closeLater(TestBackend.stalling("stall"));
        f.writer.register("e-stall", "1", stall.port(), 1);
        f.writer.putRoute("e-stall", "{\"id\":\"e-stall\",\"match\":{\"pathPrefix\":\"/e-stall\"},\"service\":\"e-stall\","
                + "\"timeouts\":{\"responseMs\":300}}");
        await().atMost(Duration.ofSeconds(5)).until(() -> stall.hits() > 0 || Http.get(f.port(), "/e-stall").statusCode() == 504);
        long t0 = System.nanoTime();
        HttpResponse<String> timeout = Http.get(f.port(), "/e-stall");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertError(timeout, 504, "upstream_timeout", "e-stall");
        assertTrue(ms >= 250, "answered after " + ms + " ms, before the 300 ms timeout");
    }

    @Test
    void forwardedHeadersAreAddedForTheBackend() throws Exception {
        serveAlone("fwd");

        HttpResponse<String> r = Http.get(f.port(), "/fwd", "Host", "api.example.com");
        assertEquals("127.0.0.1", r.headers().firstValue("Echo-X-Forwarded-For").orElse(null));
        assertEquals("http", r.headers().firstValue("Echo-X-Forwarded-Proto").orElse(null));
        assertEquals("api.example.com", r.headers().firstValue("Echo-X-Forwarded-Host").orElse(null));
    }

    @Test
    void anHttp10KeepAliveClientIsAnsweredWithKeepAliveOverAnHttp11Upstream() throws Exception {
        serveAlone("keep");

        try (Socket socket = new Socket("127.0.0.1", f.port())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1));
            for (int round = 0; round < 2; round++) {
                out.write("GET /keep/ab HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                String status = in.readLine();
                assertEquals("HTTP/1.1 200 OK", status);
                Set<String> headers = new HashSet<>();
                int length = -1;
                for (String line = in.readLine(); !line.isEmpty(); line = in.readLine()) {
                    headers.add(line.toLowerCase());
                    if (line.toLowerCase().startsWith("content-length:")) {
                        length = Integer.parseInt(line.substring(15).trim());
                    }
                }
                assertTrue(headers.contains("connection: keep-alive"), "headers: " + headers);
                // An HTTP/1.0 client's request goes upstream as HTTP/1.1, so the upstream connection stays pooled
                assertTrue(headers.contains("echo-protocol: http/1.1"), "headers: " + headers);
                char[] body = new char[length];
                int read = 0;
                while (read < length) {
                    read += in.read(body, read, length - read);
                }
                assertEquals("keep /keep/ab\n", new String(body), "round " + round + " on the same connection");
            }
        }
    }

    private static void assertError(HttpResponse<String> r, int status, String error, String route) throws Exception {
        assertEquals(status, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        JsonNode body = JSON.readTree(r.body());
        assertEquals(status, body.get("status").asInt());
        assertEquals(error, body.get("error").asText());
        if (route == null) {
            assertTrue(body.get("route").isNull());
        } else {
            assertEquals(route, body.get("route").asText());
        }
        assertTrue(body.get("message").asText().length() > 5, "a message for humans");
    }
}
