package io.zkgate.gateway;

import static io.zkgate.gateway.support.Http.backendOf;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.zkgate.gateway.control.RouteState;
import io.zkgate.gateway.support.GatewayFixture;
import io.zkgate.gateway.support.Http;
import io.zkgate.gateway.support.RawHttp;
import io.zkgate.gateway.support.TestBackend;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code match.headers}, {@code match.query} and {@code match.cookies} through the real gateway on a real
 * ZooKeeper: each kind of condition, the precedence example of the README, 405 versus 404 with conditions, a
 * catastrophic regex, and bad values refused while the last good version serves.
 */
class TrafficMatchEndToEndTest {
    @AutoClose
    private static GatewayFixture f;

    @BeforeAll
    static void start() throws Exception {
        f = GatewayFixture.synced();
    }

    /** A backend named {@code service}, registered under that service. */
    private static void backend(String service) throws Exception {
        TestBackend b = f.closeLater(TestBackend.start(service));
        f.writer.register(service, "1", b.port(), 1);
    }

    private static String route(String id, String prefix, String matchExtra, String service) {
        return "{\"id\":\"" + id + "\",\"match\":{\"pathPrefix\":\"" + prefix + "\"" + matchExtra + "},\"service\":\""
                + service + "\"}";
    }

    private static void awaitServed(String id) {
        await().atMost(Duration.ofSeconds(10)).until(() -> f.gateway.snapshots().current().routes().entry(id) != null);
    }

    @Test
    void headerConditionsMatchExactRegexPresentAndAbsentWithNamesInAnyCaseAndValuesCaseSensitive() throws Exception {
        for (String s : new String[] {"h-base", "h-exact", "h-regex", "h-present", "h-absent"}) {
            backend(s);
        }
        f.writer.putRoute("h-base", route("h-base", "/h", "", "h-base"));
        f.writer.putRoute("h-exact", route("h-exact", "/h", ",\"headers\":[{\"name\":\"X-Env\",\"exact\":\"canary\"}]",
                "h-exact"));
        f.writer.putRoute("h-regex", route("h-regex", "/h", ",\"headers\":[{\"name\":\"X-Id\",\"regex\":\"^[0-9]+$\"}]",
                "h-regex"));
        f.writer.putRoute("h-present", route("h-present", "/h", ",\"headers\":[{\"name\":\"X-Debug\",\"present\":true}]",
                "h-present"));
        f.writer.putRoute("h-absent", route("h-absent", "/h/legacy",
                ",\"headers\":[{\"name\":\"X-Client-Version\",\"present\":false}]", "h-absent"));
        awaitServed("h-absent");
        awaitServed("h-exact");
        awaitServed("h-regex");
        awaitServed("h-present");

        assertEquals("h-base", backendOf(Http.get(f.port(), "/h/x")));
        assertEquals("h-exact", backendOf(Http.get(f.port(), "/h/x", "X-Env", "canary")));
        assertEquals("h-exact", backendOf(Http.get(f.port(), "/h/x", "x-env", "canary")), "names in any case");
        assertEquals("h-base", backendOf(Http.get(f.port(), "/h/x", "X-Env", "Canary")), "values case-sensitive");
        assertEquals("h-regex", backendOf(Http.get(f.port(), "/h/x", "X-Id", "12345")));
        assertEquals("h-base", backendOf(Http.get(f.port(), "/h/x", "X-Id", "12a45")));
        assertEquals("h-present", backendOf(Http.get(f.port(), "/h/x", "X-Debug", "")));
        assertEquals("h-absent", backendOf(Http.get(f.port(), "/h/legacy/x")));
        assertEquals("h-base", backendOf(Http.get(f.port(), "/h/legacy/x", "X-Client-Version", "2")),
                "present:false fails when the header is there, so a shorter prefix takes it");
    }

    @Test
    void queryAndCookieConditionsMatchRawQueryValuesAndCookieValues() throws Exception {
        for (String s : new String[] {"q-base", "q-v2", "q-beta", "q-regex", "c-eu"}) {
            backend(s);
        }
        f.writer.putRoute("q-base", route("q-base", "/q", "", "q-base"));
        f.writer.putRoute("q-v2", route("q-v2", "/q", ",\"query\":[{\"name\":\"v\",\"exact\":\"2\"}]", "q-v2"));
        f.writer.putRoute("q-beta", route("q-beta", "/q", ",\"query\":[{\"name\":\"beta\",\"present\":true}]",
                "q-beta"));
        f.writer.putRoute("q-regex", route("q-regex", "/q", ",\"query\":[{\"name\":\"sku\",\"regex\":\"^AB-\"}]",
                "q-regex"));
        f.writer.putRoute("c-eu", route("c-eu", "/q", ",\"cookies\":[{\"name\":\"region\",\"exact\":\"eu\"}]", "c-eu"));
        for (String id : new String[] {"q-base", "q-v2", "q-beta", "q-regex", "c-eu"}) {
            awaitServed(id);
        }

        assertEquals("q-base", backendOf(Http.get(f.port(), "/q/x?v=1")));
        assertEquals("q-v2", backendOf(Http.get(f.port(), "/q/x?a=1&v=2")));
        assertEquals("q-beta", backendOf(Http.get(f.port(), "/q/x?beta")), "a parameter without '=' is present");
        assertEquals("q-regex", backendOf(Http.get(f.port(), "/q/x?sku=AB-7")));
        assertEquals("q-base", backendOf(Http.get(f.port(), "/q/x?sku=XAB-7")));
        assertEquals("c-eu", backendOf(Http.get(f.port(), "/q/x", "Cookie", "a=1; region=eu")));
        assertEquals("c-eu", backendOf(Http.get(f.port(), "/q/x", "Cookie", "region=\"eu\"")));
        assertEquals("q-base", backendOf(Http.get(f.port(), "/q/x", "Cookie", "region=us")));
    }

    /**
     * The README's worked example: exact host first, then the longest prefix, then more conditions, then the route
     * created first.
     */
    @Test
    void theReadmePrecedenceExampleRoutesEachRequestAsDocumented() throws Exception {
        for (String s : new String[] {"orders", "orders-canary", "orders-canary-eu", "orders-acme", "api-canary",
                "api-host"}) {
            backend(s);
        }
        String canary = "{\"name\":\"X-Env\",\"exact\":\"canary\"}";
        f.writer.putRoute("orders", route("orders", "/api/orders", "", "orders"));
        f.writer.putRoute("orders-canary", route("orders-canary", "/api/orders", ",\"headers\":[" + canary + "]",
                "orders-canary"));
        f.writer.putRoute("orders-canary-eu", route("orders-canary-eu", "/api/orders", ",\"headers\":[" + canary
                + "],\"cookies\":[{\"name\":\"region\",\"exact\":\"eu\"}]", "orders-canary-eu"));
        awaitServed("orders-canary");
        f.writer.putRoute("orders-acme", route("orders-acme", "/api/orders",
                ",\"headers\":[{\"name\":\"X-Tenant\",\"exact\":\"acme\"}]", "orders-acme"));
        f.writer.putRoute("api-canary", route("api-canary", "/api", ",\"headers\":[" + canary + "]", "api-canary"));
        f.writer.putRoute("api-host", "{\"id\":\"api-host\",\"match\":{\"host\":\"api.example.com\",\"pathPrefix\":"
                + "\"/api\"},\"service\":\"api-host\"}");
        for (String id : new String[] {"orders", "orders-canary-eu", "orders-acme", "api-canary", "api-host"}) {
            awaitServed(id);
        }

        assertEquals("api-host", backendOf(exchange("/api/orders/7", "api.example.com", "X-Env: canary")),
                "the exact host wins over longer prefixes and more conditions");
        assertEquals("orders-canary-eu", backendOf(exchange("/api/orders/7", "gw", "X-Env: canary", "Cookie: region=eu")),
                "two conditions beat one");
        assertEquals("orders-canary", backendOf(exchange("/api/orders/7", "gw", "X-Env: canary")));
        assertEquals("orders-canary", backendOf(exchange("/api/orders/7", "gw", "X-Env: canary", "X-Tenant: acme")),
                "one condition each: the route created first");
        assertEquals("orders-acme", backendOf(exchange("/api/orders/7", "gw", "X-Tenant: acme")));
        assertEquals("orders", backendOf(exchange("/api/orders/7", "gw")));
        assertEquals("api-canary", backendOf(exchange("/api/users", "gw", "X-Env: canary")),
                "the longest prefix whose conditions hold");
        assertEquals(404, exchange("/api/users", "gw").statusCode(), "no route at /api holds without the header");
    }

    @Test
    void aPathServedOnlyUnderConditionsThatFailIs404AndOnlyHoldingConditionsMake405() throws Exception {
        backend("w-post");
        f.writer.putRoute("w-post", "{\"id\":\"w-post\",\"match\":{\"pathPrefix\":\"/w\",\"methods\":[\"POST\"],"
                + "\"headers\":[{\"name\":\"X-Env\",\"exact\":\"canary\"}]},\"service\":\"w-post\"}");
        awaitServed("w-post");

        String without = RawHttp.exchange(f.port(), "GET /w/x HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n");
        assertEquals(404, RawHttp.status(without), without);
        String with = RawHttp.exchange(f.port(),
                "GET /w/x HTTP/1.1\r\nHost: gw\r\nX-Env: canary\r\nConnection: close\r\n\r\n");
        assertEquals(405, RawHttp.status(with), with);
        assertTrue(with.contains("Allow: POST\r\n"), with);
    }

    @Test
    void theCatastrophicRegexFailsAtOnceOnThirtyAsAndABang() throws Exception {
        backend("redos");
        f.writer.putRoute("redos", route("redos", "/redos", ",\"headers\":[{\"name\":\"X-A\",\"regex\":\"(a+)+$\"}]",
                "redos"));
        awaitServed("redos");
        String evil = "a".repeat(30) + "!";
        long start = System.nanoTime();
        assertEquals(404, Http.get(f.port(), "/redos/x", "X-A", evil).statusCode());
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertTrue(ms < 5_000, "a backtracking engine would take minutes; took " + ms + " ms end to end");
        assertEquals("redos", backendOf(Http.get(f.port(), "/redos/x", "X-A", "a".repeat(30))));
    }

    @Test
    void anEditWithAnInvalidRegexIsRefusedNamingZnodeFieldAndReasonAndTheLastGoodVersionServes() throws Exception {
        backend("bad-edit");
        f.writer.putRoute("bad-edit", route("bad-edit", "/bad-edit",
                ",\"headers\":[{\"name\":\"X-Env\",\"exact\":\"canary\"}]", "bad-edit"));
        await().atMost(Duration.ofSeconds(10)).until(() ->
                backendOf(Http.get(f.port(), "/bad-edit/x", "X-Env", "canary")).equals("bad-edit"));

        f.writer.putRoute("bad-edit", route("bad-edit", "/bad-edit",
                ",\"headers\":[{\"name\":\"X-Env\",\"regex\":\"(canary\"}]", "bad-edit"));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            RouteState s = f.gateway.control().routeStates().get("bad-edit");
            assertNotNull(s.rejection());
            assertTrue(s.rejection().startsWith("/zkgate/routes/bad-edit: match.headers[0].regex: '(canary' is not a "
                    + "valid RE2 regular expression"), s.rejection());
        });
        assertEquals("bad-edit", backendOf(Http.get(f.port(), "/bad-edit/x", "X-Env", "canary")),
                "the last good version keeps serving");
        JsonNode routes = Http.json(f.adminPort(), "/admin/routes").get("routes");
        JsonNode shown = null;
        for (JsonNode r : routes) {
            if (r.get("id").asText().equals("bad-edit")) {
                shown = r;
            }
        }
        assertNotNull(shown);
        assertTrue(shown.get("rejected").get("error").asText().contains("match.headers[0].regex"), shown.toString());
        assertEquals("canary", shown.get("route").get("match").get("headers").get(0).get("exact").asText(),
                shown.toString());
    }

    /** A GET with Host {@code host} and extra header lines {@code Name: value}. */
    private static HttpResponse<String> exchange(String path, String host, String... headerLines) {
        List<String> headers = new ArrayList<>(List.of("Host", host));
        for (String h : headerLines) {
            int colon = h.indexOf(':');
            headers.add(h.substring(0, colon));
            headers.add(h.substring(colon + 1).trim());
        }
        return Http.get(f.port(), path, headers.toArray(new String[0]));
    }
}
