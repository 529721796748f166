package io.zkgate.schema;

import static io.zkgate.schema.OrdersRoute.SRC;
import static io.zkgate.schema.OrdersRoute.parse;
import static io.zkgate.schema.OrdersRoute.problems;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The route fields of traffic policy: match conditions, weighted splits and mirroring, read and refused. */
class RouteTrafficValidationTest {
    @Test
    void conditionsSplitAndMirrorParseAndWriteBackTheSameRoute() throws Exception {
        Route r = parse("""
                {"match":{"pathPrefix":"/api/orders",
                   "headers":[{"name":"X-Env","exact":"canary"},{"name":"X-Id","regex":"^[0-9]+$"},
                              {"name":"X-Debug","present":true}],
                   "query":[{"name":"v","exact":"2"},{"name":"old","present":false}],
                   "cookies":[{"name":"region","exact":"eu"}]},
                 "backends":[{"service":"orders-v2","weight":5},{"service":"orders","weight":95}],
                 "mirror":{"service":"orders-shadow","percent":10}}""");
        assertNull(r.service());
        assertEquals(List.of("orders-v2", "orders"), r.services());
        assertEquals("orders-v2:5,orders:95", r.describeServices());
        assertEquals(6, r.match().conditionCount());
        assertEquals(new Route.Condition("X-Id", null, "^[0-9]+$", null), r.match().headers().get(1));
        assertEquals(new Route.Mirror("orders-shadow", 10), r.mirror());
        assertEquals(r, RouteCodec.parse(SRC, RouteCodec.toJson(r), "orders"), "round trip");
    }

    @Test
    void aSplitSideWithoutWeightWeighsOne() throws Exception {
        Route r = parse("{\"match\":{\"pathPrefix\":\"/\"},\"backends\":[{\"service\":\"a\"}]}");
        assertEquals(List.of(new Route.Backend("a", 1)), r.backends());
    }

    @Test
    void aMirrorWithoutPercentCopiesEverything() throws Exception {
        Route r = parse("{\"match\":{\"pathPrefix\":\"/\"},\"service\":\"a\",\"mirror\":{\"service\":\"m\"}}");
        assertEquals(100, r.mirror().percent());
    }

    @Test
    void bothServiceAndBackendsAreRefused() {
        List<String> p = problems("{\"match\":{\"pathPrefix\":\"/\"},\"service\":\"a\","
                + "\"backends\":[{\"service\":\"b\",\"weight\":1}]}");
        assertTrue(p.contains(SRC + ": backends: set together with service (expected: exactly one of service and "
                + "backends)"), p.toString());
    }

    @Test
    void weightsSummingToZeroAreRefused() {
        List<String> p = problems("{\"match\":{\"pathPrefix\":\"/\"},"
                + "\"backends\":[{\"service\":\"a\",\"weight\":0},{\"service\":\"b\",\"weight\":0}]}");
        assertTrue(p.contains(SRC + ": backends: weights sum to 0 (expected: at least one side with a weight above 0)"),
                p.toString());
    }

    @Test
    void badSidesAreRefusedNamingTheSide() {
        List<String> p = problems("{\"match\":{\"pathPrefix\":\"/\"},\"backends\":[{\"service\":\"a\",\"weight\":-1},"
                + "{\"service\":\"b\",\"weight\":2},{\"service\":\"b\"},{\"service\":\"c\",\"colour\":1}]}");
        assertTrue(p.contains(SRC + ": backends[0].weight: -1 (expected: an integer from 0 to 10000)"), p.toString());
        assertTrue(p.stream().anyMatch(s -> s.startsWith(SRC + ": backends[2].service: 'b' is already a side")),
                p.toString());
        assertTrue(p.stream().anyMatch(s -> s.startsWith(SRC + ": backends[3].colour: unknown field")), p.toString());
        assertTrue(problems("{\"match\":{\"pathPrefix\":\"/\"},\"backends\":[]}").stream()
                .anyMatch(s -> s.startsWith(SRC + ": backends: 0 entries")));
    }

    @Test
    void anInvalidRegexIsRefusedWithRe2sReason() {
        List<String> p = problems("{\"match\":{\"pathPrefix\":\"/\",\"headers\":[{\"name\":\"X-Id\",\"regex\":\"([0-9]+\"}]},"
                + "\"service\":\"a\"}");
        assertEquals(1, p.size(), p.toString());
        assertTrue(p.get(0).startsWith(SRC + ": match.headers[0].regex: '([0-9]+' is not a valid RE2 regular expression: "
                + "missing closing )"), p.toString());
        // Backreferences are not RE2: they would need backtracking.
        assertTrue(problems("{\"match\":{\"pathPrefix\":\"/\",\"query\":[{\"name\":\"q\",\"regex\":\"(a)\\\\1\"}]},"
                + "\"service\":\"a\"}").get(0).startsWith(SRC + ": match.query[0].regex: "));
    }

    @Test
    void aHeaderConditionNeedsAValidNameAndExactlyOneKindOfComparison() {
        List<String> p = problems("""
                {"match":{"pathPrefix":"/",
                   "headers":[{"name":"X-A"},{"name":"X-B","exact":"1","present":true},{"name":"bad name","present":true},
                              {"name":"X-C","present":"yes"}]},
                 "service":"a"}""");
        assertTrue(p.contains(SRC + ": match.headers[0]: no value to compare (expected: exactly one of exact, regex or "
                + "present)"), p.toString());
        assertTrue(p.stream().anyMatch(s -> s.startsWith(SRC + ": match.headers[1]: more than one of")), p.toString());
        assertTrue(p.stream().anyMatch(s -> s.startsWith(SRC + ": match.headers[2].name: 'bad name'")), p.toString());
        assertTrue(p.stream().anyMatch(s -> s.startsWith(SRC + ": match.headers[3].present: a string")), p.toString());
    }

    @Test
    void aCookieConditionTakesExactOnly() {
        List<String> p = problems("""
                {"match":{"pathPrefix":"/","cookies":[{"name":"c","regex":"x"}]},"service":"a"}""");
        assertTrue(p.stream().anyMatch(s -> s.startsWith(SRC + ": match.cookies[0].regex: unknown field")),
                p.toString());
    }

    @Test
    void aMirrorPercentOutsideZeroToHundredIsRefused() {
        assertTrue(problems("{\"match\":{\"pathPrefix\":\"/\"},\"service\":\"a\",\"mirror\":{\"service\":\"m\","
                + "\"percent\":0}}").contains(SRC + ": mirror.percent: 0 (expected: a number above 0 and at most 100)"));
        assertTrue(problems("{\"match\":{\"pathPrefix\":\"/\"},\"service\":\"a\",\"mirror\":{\"percent\":5}}")
                .contains(SRC + ": mirror.service: missing (expected: a string)"));
    }

    @Test
    void routesThatDifferOnlyInTheirConditionsDoNotClash() throws Exception {
        Route plain = RouteCodec.parse("a", "{\"id\":\"a\",\"match\":{\"pathPrefix\":\"/x\"},\"service\":\"s\"}"
                .getBytes(StandardCharsets.UTF_8), null);
        Route canary = RouteCodec.parse("b", ("{\"id\":\"b\",\"match\":{\"pathPrefix\":\"/x\",\"headers\":[{\"name\":"
                + "\"X-Env\",\"exact\":\"canary\"}]},\"service\":\"s\"}").getBytes(StandardCharsets.UTF_8), null);
        Route sameCanary = RouteCodec.parse("c", ("{\"id\":\"c\",\"match\":{\"pathPrefix\":\"/x/\",\"headers\":[{\"name\":"
                + "\"X-Env\",\"exact\":\"canary\"}]},\"service\":\"t\"}").getBytes(StandardCharsets.UTF_8), null);
        assertFalse(RouteConflicts.sameMatch(plain, canary));
        assertTrue(RouteConflicts.sameMatch(canary, sameCanary));
    }
}
