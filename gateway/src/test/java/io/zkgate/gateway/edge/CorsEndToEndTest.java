package io.zkgate.gateway.edge;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.zkgate.gateway.metrics.MetricNames;
import io.zkgate.gateway.support.GatewayFixture;
import io.zkgate.gateway.support.Http;
import io.zkgate.gateway.support.RawHttp;
import io.zkgate.gateway.support.ScriptedBackend.Reply;
import io.zkgate.gateway.support.ScriptedBackend;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * CORS through the real gateway on a real ZooKeeper, each answer judged header by header with the Fetch standard's
 * own checks ({@link FetchCors}): preflights answered by the gateway without the backend, actual requests with the
 * backend's own CORS headers replaced or removed, {@code Vary: Origin} beside the backend's {@code Vary}.
 */
class CorsEndToEndTest {
    private static final String APP = "https://app.example.com";
    @AutoClose
    private static GatewayFixture f;
    private static ScriptedBackend backend;

    @BeforeAll
    static void start() throws Exception {
        f = new GatewayFixture();
        backend = f.closeLater(ScriptedBackend.start(r -> Reply.keepAlive("HTTP/1.1 200 OK\r\nVary: Accept-Encoding\r\n"
                + "Access-Control-Allow-Origin: *\r\nX-Total: 3\r\nContent-Length: 2\r\n\r\nok")));
        f.writer.register("app", "1", backend.port(), 1);
        f.writer.putRoute("app", """
                {"id":"app","match":{"pathPrefix":"/app","methods":["GET","PUT","POST"]},"service":"app",
                 "cors":{"allowOrigins":["https://app.example.com","https://*.example.org"],
                  "allowMethods":["GET","PUT"],"allowHeaders":["X-Api-Version","Content-Type"],
                  "exposeHeaders":["X-Request-Id","X-Total"],"allowCredentials":true,"maxAgeSeconds":600}}""");
        f.writer.putRoute("open", """
                {"id":"open","match":{"pathPrefix":"/open"},"service":"app","cors":{"allowOrigins":["*"]}}""");
        f.writer.putRoute("small", """
                {"id":"small","match":{"pathPrefix":"/small"},"service":"app","limits":{"maxBodyBytes":10},
                 "cors":{"allowOrigins":["https://app.example.com"],"allowCredentials":true}}""");
        try (java.net.ServerSocket closed = new java.net.ServerSocket(0)) {
            f.writer.register("down", "1", closed.getLocalPort(), 1); // nothing listens there once closed
        }
        f.writer.putRoute("down", """
                {"id":"down","match":{"pathPrefix":"/down"},"service":"down","retries":{"attempts":0},
                 "cors":{"allowOrigins":["https://app.example.com"],"allowCredentials":true}}""");
        await().atMost(Duration.ofSeconds(10)).until(() -> RawHttp.status(request("GET", "/open/x", "")) == 200
                && RawHttp.status(request("GET", "/down/x", "")) == 502
                && RawHttp.status(request("GET", "/app/x", "")) == 200
                && RawHttp.status(request("GET", "/small/x", "")) == 200);
    }

    @Test
    void aPreflightFromAnAllowedOriginIsAnsweredByTheGatewayAndPassesTheBrowsersChecks() throws Exception {
        int before = backend.received().size();
        String r = request("OPTIONS", "/app/items", "Origin: " + APP + "\r\nAccess-Control-Request-Method: PUT\r\n"
                + "Access-Control-Request-Headers: x-api-version, content-type\r\n");
        assertEquals(204, RawHttp.status(r), r);
        assertEquals(APP, RawHttp.header(r, "Access-Control-Allow-Origin"), "the origin itself, never * with credentials");
        assertEquals("true", RawHttp.header(r, "Access-Control-Allow-Credentials"));
        assertEquals("GET, PUT", RawHttp.header(r, "Access-Control-Allow-Methods"));
        assertEquals("X-Api-Version, Content-Type", RawHttp.header(r, "Access-Control-Allow-Headers"));
        assertEquals("600", RawHttp.header(r, "Access-Control-Max-Age"));
        assertTrue(String.join(",", RawHttp.headers(r, "Vary")).contains("Origin"), r);
        assertTrue(FetchCors.preflightAllows(r, APP, true, "PUT", List.of("X-Api-Version", "Content-Type")));
        assertFalse(FetchCors.preflightAllows(r, APP, true, "DELETE", List.of()), "a method not allowed");
        assertFalse(FetchCors.preflightAllows(r, APP, true, "PUT", List.of("X-Other")), "a header not allowed");
        assertFalse(FetchCors.preflightAllows(r, "https://evil.example.com", true, "PUT", List.of()));
        assertEquals(before, backend.received().size(), "the backend never saw the preflight");
    }

    @Test
    void aPreflightFromAnotherOriginGetsNoCorsHeadersAndNeverReachesTheBackend() throws Exception {
        int before = backend.received().size();
        long refused = refusals("app");
        for (String origin : List.of("https://evil.example.com", "https://example.org", "https://a.example.org.evil.io",
                "http://a.example.org", "https://a.example.org:8443", "null")) {
            String r = request("OPTIONS", "/app/items", "Origin: " + origin
                    + "\r\nAccess-Control-Request-Method: PUT\r\n");
            assertEquals(204, RawHttp.status(r), r);
            assertFalse(FetchCors.anyCorsHeader(r), origin + " got CORS headers: " + r);
            assertFalse(FetchCors.preflightAllows(r, origin, true, "PUT", List.of()), origin);
        }
        assertEquals(before, backend.received().size(), "the backend never saw a preflight");
        assertEquals(refused + 6, refusals("app"), "zkgate_route_refusals_total{route,reason=cors_origin}");
    }

    @Test
    void subdomainPatternsAllowAnySubdomainButNotTheDomainItself() throws Exception {
        for (String origin : List.of("https://a.example.org", "https://deep.sub.example.org")) {
            String r = request("GET", "/app/x", "Origin: " + origin + "\r\n");
            assertTrue(FetchCors.corsCheck(r, origin, true), origin + ": " + r);
        }
    }

    @Test
    void anActualRequestFromAnAllowedOriginGetsTheRoutesCorsHeadersInPlaceOfTheBackends() throws Exception {
        String r = request("GET", "/app/x", "Origin: " + APP + "\r\nCookie: s=1\r\n");
        assertEquals(200, RawHttp.status(r));
        assertEquals(List.of(APP), RawHttp.headers(r, "Access-Control-Allow-Origin"), "the backend's * is replaced");
        assertEquals("true", RawHttp.header(r, "Access-Control-Allow-Credentials"));
        assertEquals("X-Request-Id, X-Total", RawHttp.header(r, "Access-Control-Expose-Headers"));
        assertTrue(RawHttp.headers(r, "Vary").contains("Accept-Encoding"), "the backend's Vary stays: " + r);
        assertTrue(RawHttp.headers(r, "Vary").contains("Origin"), "Vary: Origin is added beside it: " + r);
        assertTrue(FetchCors.corsCheck(r, APP, true));
        assertTrue(FetchCors.corsCheck(r, APP, false));
        assertEquals("Origin: " + APP, "Origin: " + backend.received().get(backend.received().size() - 1)
                .header("Origin"), "the actual request reaches the backend with its Origin");
    }

    @Test
    void anActualRequestFromAnotherOriginIsServedWithoutAnyCorsHeaderSoThePageCannotReadIt() throws Exception {
        String r = request("GET", "/app/x", "Origin: https://evil.example.com\r\n");
        assertEquals(200, RawHttp.status(r), "CORS limits what a page reads, not what the server accepts");
        assertFalse(FetchCors.anyCorsHeader(r), "not even the backend's own Access-Control-Allow-Origin: " + r);
        assertTrue(RawHttp.headers(r, "Vary").contains("Origin"), r);
        assertFalse(FetchCors.corsCheck(r, "https://evil.example.com", false));
    }

    @Test
    void aResponseWithoutOriginStillVariesByOriginSoCachesKeepThemApart() throws Exception {
        String r = request("GET", "/app/x", "");
        assertTrue(RawHttp.headers(r, "Vary").contains("Origin"), r);
        assertNull(RawHttp.header(r, "Access-Control-Allow-Credentials"));
    }

    @Test
    void anyOriginWithoutCredentialsAnswersStarWhichACredentialedReadCannotUse() throws Exception {
        String r = request("GET", "/open/x", "Origin: https://whoever.test\r\n");
        assertEquals(List.of("*"), RawHttp.headers(r, "Access-Control-Allow-Origin"));
        assertNull(RawHttp.header(r, "Access-Control-Allow-Credentials"));
        assertTrue(FetchCors.corsCheck(r, "https://whoever.test", false));
        assertFalse(FetchCors.corsCheck(r, "https://whoever.test", true), "a credentialed read is refused by '*'");
    }

    @Test
    void aPreflightForARouteThatTakesAnyMethodAllowsTheMethodAsked() throws Exception {
        String p = request("OPTIONS", "/open/x", "Origin: https://whoever.test\r\n"
                + "Access-Control-Request-Method: DELETE\r\n");
        assertEquals(204, RawHttp.status(p));
        assertTrue(FetchCors.preflightAllows(p, "https://whoever.test", false, "DELETE", List.of()), p);
    }

    @Test
    void aGatewayErrorAfterTheDecisionStillCarriesTheCorsHeadersSoThePageCanReadIt() throws Exception {
        String r = request("GET", "/down/x", "Origin: " + APP + "\r\n");
        assertEquals(502, RawHttp.status(r), r);
        assertTrue(FetchCors.corsCheck(r, APP, true), r);
        assertTrue(RawHttp.body(r).contains("\"error\":\"upstream_unreachable\""), r);
    }

    @Test
    void aBodyRefusedOnItsDeclaredLengthBeforeTheGuardsStillCarriesTheCorsHeadersOfAnAllowedOriginOnly()
            throws Exception {
        String body = "x".repeat(100);
        String r = request("POST", "/small/upload", "Origin: " + APP + "\r\nContent-Length: 100\r\n", body);
        assertEquals(413, RawHttp.status(r), r);
        assertTrue(RawHttp.body(r).contains("\"error\":\"body_too_large\""), r);
        assertTrue(FetchCors.corsCheck(r, APP, true), "the page can read why its upload failed: " + r);
        assertTrue(RawHttp.headers(r, "Vary").contains("Origin"), r);
        String other = request("POST", "/small/upload", "Origin: https://evil.example.com\r\nContent-Length: 100\r\n",
                body);
        assertEquals(413, RawHttp.status(other), other);
        assertFalse(FetchCors.anyCorsHeader(other), other);
    }

    @Test
    void aBadCorsEditIsShownRefusedByFieldInAdminRoutesWhileTheLastGoodVersionServes() throws Exception {
        f.writer.putRoute("app2", """
                {"id":"app2","match":{"pathPrefix":"/app2"},"service":"app","cors":{"allowOrigins":["https://a.test"]}}""");
        await().atMost(Duration.ofSeconds(10)).until(() -> RawHttp.status(request("GET", "/app2/x", "")) == 200);
        f.writer.putRoute("app2", """
                {"id":"app2","match":{"pathPrefix":"/app2"},"service":"app",
                 "cors":{"allowOrigins":["*"],"allowCredentials":true}}""");
        await().atMost(Duration.ofSeconds(10)).until(() -> app2(Http.json(f.adminPort(), "/admin/routes"))
                .has("rejected"));
        JsonNode app2 = app2(Http.json(f.adminPort(), "/admin/routes"));
        assertTrue(app2.get("rejected").get("error").asText().contains("/zkgate/routes/app2: cors.allowOrigins[0]: "
                + "'*' with allowCredentials true"), app2.toString());
        assertEquals("https://a.test", app2.get("route").get("cors").get("allowOrigins").get(0).asText());
        String r = request("GET", "/app2/x", "Origin: https://a.test\r\n");
        assertEquals("https://a.test", RawHttp.header(r, "Access-Control-Allow-Origin"), "the last good version serves");
    }

    private static JsonNode app2(JsonNode routes) {
        for (JsonNode route : routes.get("routes")) {
            if (route.get("id").asText().equals("app2")) {
                return route;
            }
        }
        throw new AssertionError("no route app2 in " + routes);
    }

    private static long refusals(String route) {
        return f.gateway.metrics().registry().counter(MetricNames.tagged("zkgate_route_refusals_total", "route",
                route, "reason", "cors_origin")).getCount();
    }

    private static String request(String method, String path, String headers) throws Exception {
        return request(method, path, headers, "");
    }

    private static String request(String method, String path, String headers, String body) throws Exception {
        return RawHttp.exchange(f.port(), method + " " + path + " HTTP/1.1\r\nHost: h\r\n" + headers
                + "Connection: close\r\n\r\n" + body);
    }
}
