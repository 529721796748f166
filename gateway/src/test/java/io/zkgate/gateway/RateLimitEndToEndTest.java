package io.zkgate.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.zkgate.gateway.support.GatewayFixture;
import io.zkgate.gateway.support.Http;
import io.zkgate.gateway.support.PacedLoad;
import io.zkgate.gateway.support.RawHttp;
import io.zkgate.gateway.support.TestBackend;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledIfSystemProperty;

/**
 * Rate limits through the real gateway on a real ZooKeeper: the sustained rate holds under offered load above it,
 * refusals are 429 with the contract's body and the rate-limit headers, buckets are per header value or per client
 * address, several limits on one route all apply, a flood of distinct keys stays within the key cap, and refusals are
 * counted in the metrics and shown in the admin view.
 */
class RateLimitEndToEndTest {
    private static String route(String id, String limits) {
        return "{\"id\":\"" + id + "\",\"match\":{\"pathPrefix\":\"/" + id + "\"},\"service\":\"svc\"," + limits + "}";
    }

    private static void serve(GatewayFixture f, String id, String limits) throws Exception {
        f.writer.putRoute(id, route(id, limits));
        await().atMost(Duration.ofSeconds(10)).until(() -> served(f, id));
    }

    private static boolean served(GatewayFixture f, String id) {
        for (JsonNode r : Http.json(f.adminPort(), "/admin/routes").get("routes")) {
            if (r.get("id").asText().equals(id) && r.has("limits")) {
                return true;
            }
        }
        return false;
    }

    private static JsonNode limitsOf(GatewayFixture f, String id) {
        for (JsonNode r : Http.json(f.adminPort(), "/admin/routes").get("routes")) {
            if (r.get("id").asText().equals(id)) {
                return r.get("limits");
            }
        }
        throw new AssertionError("no route " + id);
    }

    private static String get(GatewayFixture f, String path, String headers) throws Exception {
        return RawHttp.exchange(f.port(), "GET " + path + " HTTP/1.1\r\nHost: h\r\n" + headers
                + "Connection: close\r\n\r\n");
    }

    /** The limiter's accuracy is the router's, the same behind either front door: measured on the default engine. */
    @Test
    @DisabledIfSystemProperty(named = "zkgate.engine", matches = "servlet")
    void aLimitOf200PerSecondLetsThrough200PerSecondWithinTenPercentOverTenSeconds() throws Exception {
        try (GatewayFixture f = new GatewayFixture()) {
            TestBackend backend = f.closeLater(TestBackend.start("b"));
            f.writer.register("svc", "1", backend.port(), 1);
            serve(f, "r", "\"rateLimit\":{\"requestsPerSecond\":200,\"burst\":50,\"key\":\"route\"}");

            PacedLoad load = PacedLoad.start(f.port(), "/r/x", 300, Duration.ofSeconds(10)).await();

            int expected = 200 * 10 + 50; // a full bucket at the start, then the rate
            System.out.printf("200/s limit, 300/s offered for 10 s: %d allowed (expected %d), %s%n", load.count(200),
                    expected, load);
            int ok = load.count(200);
            assertTrue(Math.abs(ok - expected) <= expected / 10, "200s: " + ok + " (expected " + expected + " ± 10%); "
                    + load);
            assertEquals(3000 - load.skipped(), load.count(200) + load.count(429), load.toString());
            assertEquals(load.count(429), Http.metric(f.adminPort(), "zkgate_rate_limited_total{route=\"r\"}"),
                    0.0);
            JsonNode limit = limitsOf(f, "r").get("rateLimits").get(0);
            assertEquals(200.0, limit.get("requestsPerSecond").asDouble());
            assertEquals("route", limit.get("key").asText());
            assertEquals(load.count(429), limitsOf(f, "r").get("rateLimited").asInt());
        }
    }

    @Test
    void overTheLimitTheAnswerIs429WithTheContractsBodyRetryAfterAndRateLimitHeaders() throws Exception {
        try (GatewayFixture f = new GatewayFixture()) {
            TestBackend backend = f.closeLater(TestBackend.start("b"));
            f.writer.register("svc", "1", backend.port(), 1);
            serve(f, "h", "\"rateLimit\":{\"requestsPerSecond\":0.5,\"burst\":2,\"key\":\"header:X-Api-Key\"}");

            assertEquals(200, RawHttp.status(get(f, "/h/x", "X-Api-Key: alice\r\n")));
            assertEquals(200, RawHttp.status(get(f, "/h/x", "X-Api-Key: alice\r\n")));
            String refused = get(f, "/h/x", "X-Api-Key: alice\r\n");

            assertEquals(429, RawHttp.status(refused), refused);
            assertTrue(refused.contains("Content-Type: application/json"), refused);
            assertTrue(refused.contains("{\"status\":429,\"error\":\"rate_limited\",\"route\":\"h\",\"message\":\"rate limit "
                    + "of 0.5 requests per second (burst 2) per X-Api-Key header value exceeded; retry in 2 s\""),
                    refused);
            assertTrue(refused.contains("Retry-After: 2\r\n"), refused);
            assertTrue(refused.contains("RateLimit-Limit: 2\r\n"), refused);
            assertTrue(refused.contains("RateLimit-Remaining: 0\r\n"), refused);
            assertTrue(refused.contains("RateLimit-Reset: 4\r\n"), refused);
            assertEquals(200, RawHttp.status(get(f, "/h/x", "X-Api-Key: bob\r\n")), "another key has its own bucket");
            assertEquals(3, backend.hits(), "the refused request never reached the backend");
            assertEquals(200, RawHttp.status(get(f, "/h/x", "")));
            assertEquals(200, RawHttp.status(get(f, "/h/x", "")));
            assertEquals(429, RawHttp.status(get(f, "/h/x", "")), "requests without the header share one bucket");
        }
    }

    @Test
    void clientIpKeysGiveEachClientAddressItsOwnBucket() throws Exception {
        try (GatewayFixture f = new GatewayFixture()) {
            TestBackend backend = f.closeLater(TestBackend.start("b"));
            f.writer.register("svc", "1", backend.port(), 1);
            serve(f, "ip", "\"rateLimit\":{\"requestsPerSecond\":0.1,\"burst\":1,\"key\":\"client_ip\"}");

            assertEquals(200, RawHttp.status(from(f, "127.0.0.1", "/ip/x")));
            assertEquals(429, RawHttp.status(from(f, "127.0.0.1", "/ip/x")));
            assertEquals(200, RawHttp.status(from(f, "127.0.0.2", "/ip/x")), "another client address");
            assertEquals(429, RawHttp.status(from(f, "127.0.0.2", "/ip/x")));
            assertEquals(2, limitsOf(f, "ip").get("rateLimits").get(0).get("keys").asInt());
        }
    }

    @Test
    void everyLimitOfARouteAppliesAndARefusedRequestCountsAgainstNone() throws Exception {
        try (GatewayFixture f = new GatewayFixture()) {
            TestBackend backend = f.closeLater(TestBackend.start("b"));
            f.writer.register("svc", "1", backend.port(), 1);
            serve(f, "m", "\"rateLimit\":[{\"requestsPerSecond\":0.1,\"burst\":2,\"key\":\"header:X-Api-Key\"},"
                    + "{\"requestsPerSecond\":0.1,\"burst\":3,\"key\":\"route\"}]");

            assertEquals(200, RawHttp.status(get(f, "/m/x", "X-Api-Key: a\r\n")));
            assertEquals(200, RawHttp.status(get(f, "/m/x", "X-Api-Key: a\r\n")));
            String perKey = get(f, "/m/x", "X-Api-Key: a\r\n");
            assertEquals(429, RawHttp.status(perKey));
            assertTrue(perKey.contains("per X-Api-Key header value"), perKey);
            assertEquals(200, RawHttp.status(get(f, "/m/x", "X-Api-Key: b\r\n")),
                    "the route's bucket still had one: the request the key's limit refused took none of it");
            String perRoute = get(f, "/m/x", "X-Api-Key: c\r\n");
            assertEquals(429, RawHttp.status(perRoute));
            assertTrue(perRoute.contains("for the route"), perRoute);
            assertTrue(perRoute.contains("RateLimit-Limit: 3\r\n"), perRoute);
            assertEquals(3, backend.hits());
        }
    }

    @Test
    void aFloodOfDistinctKeysKeepsNoMoreKeysThanTheCap() throws Exception {
        try (GatewayFixture f = new GatewayFixture("--rate-limit-max-keys", "500")) {
            TestBackend backend = f.closeLater(TestBackend.start("b"));
            f.writer.register("svc", "1", backend.port(), 1);
            serve(f, "k", "\"rateLimit\":{\"requestsPerSecond\":1,\"burst\":1,\"key\":\"header:X-Api-Key\"}");

            int ok = 0;
            try (Socket s = new Socket("127.0.0.1", f.port())) {
                s.setSoTimeout(10_000);
                OutputStream out = s.getOutputStream();
                InputStream in = new BufferedInputStream(s.getInputStream());
                for (int i = 0; i < 5000; i++) {
                    out.write(("GET /k/x HTTP/1.1\r\nHost: h\r\nX-Api-Key: key-" + i + "\r\n\r\n")
                            .getBytes(StandardCharsets.ISO_8859_1));
                    ok += readStatus(in) == 200 ? 1 : 0;
                }
            }

            assertEquals(5000, ok, "every new key starts with a full bucket");
            JsonNode limit = limitsOf(f, "k").get("rateLimits").get(0);
            assertEquals(500, limit.get("maxKeys").asInt());
            assertTrue(limit.get("keys").asLong() <= 500, limit.toString());
        }
    }

    /** Reads one response with a Content-Length body from a keep-alive connection; returns its status. */
    private static int readStatus(InputStream in) throws Exception {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new AssertionError("connection closed after " + head);
            }
            head.write(b);
            String h = head.toString(StandardCharsets.ISO_8859_1);
            if (h.endsWith("\r\n\r\n")) {
                int length = 0;
                for (String line : h.split("\r\n")) {
                    if (line.regionMatches(true, 0, "Content-Length:", 0, 15)) {
                        length = Integer.parseInt(line.substring(15).trim());
                    }
                }
                in.readNBytes(length);
                return Integer.parseInt(h.substring(9, 12));
            }
        }
    }

    /** A GET sent from local address {@code local} (any of 127.0.0.0/8 on loopback). */
    private static String from(GatewayFixture f, String local, String path) throws Exception {
        try (Socket s = new Socket()) {
            s.bind(new InetSocketAddress(local, 0));
            s.connect(new InetSocketAddress("127.0.0.1", f.port()), 5000);
            s.setSoTimeout(5000);
            s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }
}
