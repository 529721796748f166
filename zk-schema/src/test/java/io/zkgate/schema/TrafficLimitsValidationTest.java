package io.zkgate.schema;

import static io.zkgate.schema.OrdersRoute.SRC;
import static io.zkgate.schema.OrdersRoute.parseFields;
import static io.zkgate.schema.OrdersRoute.problemsOfFields;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class TrafficLimitsValidationTest {
    @Test
    void oneRateLimitObjectAndACapParseAndWriteBackTheSame() throws Exception {
        Route r = parseFields("""
                "rateLimit":{"requestsPerSecond":100,"burst":200,"key":"header:X-Api-Key","scope":"fleet"},
                "maxInFlight":50""");
        TrafficLimits.RateLimit limit = r.trafficLimits().rateLimits().get(0);
        assertEquals(100.0, limit.requestsPerSecond());
        assertEquals(200, limit.burst());
        assertEquals(new TrafficLimits.Key(TrafficLimits.Key.Kind.HEADER, "X-Api-Key"), limit.key());
        assertEquals(TrafficLimits.Scope.FLEET, limit.scope());
        assertEquals(50, r.trafficLimits().maxInFlight());
        assertEquals(r, RouteCodec.parse(SRC, RouteCodec.toJson(r), "orders"), "round trip");
        String written = new String(RouteCodec.toJson(r), StandardCharsets.UTF_8);
        assertTrue(written.contains("\"rateLimit\" : {"), written);
    }

    @Test
    void severalLimitsKeepTheirOrderAndLeftOutFieldsTakeDefaults() throws Exception {
        Route r = parseFields("""
                "rateLimit":[{"requestsPerSecond":2.5,"key":"client_ip"},
                             {"requestsPerSecond":1000,"burst":1,"key":"route","scope":"gateway"}]""");
        List<TrafficLimits.RateLimit> limits = r.trafficLimits().rateLimits();
        assertEquals(2, limits.size());
        assertEquals(3, limits.get(0).burst(), "burst defaults to one second's worth, rounded up");
        assertEquals(TrafficLimits.Scope.GATEWAY, limits.get(0).scope());
        assertEquals(TrafficLimits.Key.Kind.ROUTE, limits.get(1).key().kind());
        assertNull(r.trafficLimits().maxInFlight());
        assertEquals(r, RouteCodec.parse(SRC, RouteCodec.toJson(r), "orders"), "round trip as an array");
    }

    @Test
    void aRouteWithoutLimitsHasNone() throws Exception {
        assertNull(parseFields("\"stripPrefix\":false").trafficLimits());
    }

    @Test
    void badValuesAreRefusedNamingTheFieldAndTheReason() {
        List<String> p = problemsOfFields("""
                "rateLimit":[{"requestsPerSecond":-5,"burst":0,"key":"cookie:sid","scope":"planet","colour":1},
                             {"requestsPerSecond":0,"key":"route"},
                             {"burst":3,"key":"header:"}, 7],
                "maxInFlight":0""");
        assertTrue(p.contains(SRC + ": rateLimit[0].requestsPerSecond: -5 (expected: a number > 0 and <= 1000000; "
                + "a rate of zero would refuse everything: take the route away instead)"), p.toString());
        assertTrue(p.contains(SRC + ": rateLimit[0].burst: 0 (expected: an integer from 1 to 10000000)"), p.toString());
        assertTrue(p.contains(SRC + ": rateLimit[0].key: \"cookie:sid\" (expected: client_ip, header:NAME or route)"),
                p.toString());
        assertTrue(p.contains(SRC + ": rateLimit[0].scope: \"planet\" (expected: gateway or fleet)"), p.toString());
        assertTrue(p.stream().anyMatch(s -> s.startsWith(SRC + ": rateLimit[0].colour: unknown field")), p.toString());
        assertTrue(p.stream().anyMatch(s -> s.startsWith(SRC + ": rateLimit[1].requestsPerSecond: 0 (expected")),
                p.toString());
        assertTrue(p.contains(SRC + ": rateLimit[2].requestsPerSecond: missing (expected: a number of requests per "
                + "second > 0)"), p.toString());
        assertTrue(p.contains(SRC + ": rateLimit[2].key: \"header:\" (expected: client_ip, header:NAME or route)"),
                p.toString());
        assertTrue(p.contains(SRC + ": rateLimit[3]: a number (expected: a rate limit object)"), p.toString());
        assertTrue(p.contains(SRC + ": maxInFlight: 0 (expected: an integer from 1 to 1000000)"), p.toString());
    }

    @Test
    void aRateLimitThatIsNeitherObjectNorArrayIsRefused() {
        assertEquals(List.of(SRC + ": rateLimit: a string (expected: a rate limit object or an array of them)"),
                problemsOfFields("\"rateLimit\":\"100/s\""));
        assertEquals(List.of(SRC + ": rateLimit[0].key: missing (expected: client_ip, header:NAME or route)"),
                problemsOfFields("\"rateLimit\":[{\"requestsPerSecond\":1}]"));
    }
}
