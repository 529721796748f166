package io.zkgate.schema;

import static io.zkgate.schema.OrdersRoute.SRC;
import static io.zkgate.schema.OrdersRoute.parse;
import static io.zkgate.schema.OrdersRoute.problems;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RouteValidationTest {
    @Test
    void aRouteUsingEveryCoreFieldParsesAndWritesBackTheSameFields() throws Exception {
        String json = """
                {"id":"orders","match":{"host":"api.example.com","pathPrefix":"/api/orders","methods":["GET","POST"]},
                 "service":"orders","stripPrefix":true,
                 "lb":{"policy":"consistent_hash","hashKey":"header:X-User-Id","boundedLoad":1.25},
                 "timeouts":{"connectMs":1000,"responseMs":15000},"retries":{"attempts":1},"script":"auth"}""";
        Route r = parse(json);
        assertEquals("api.example.com", r.match().host());
        assertEquals(Set.of("GET", "POST"), r.match().methods());
        assertEquals(Policy.CONSISTENT_HASH, r.policy());
        assertEquals(new HashKey(HashKey.Source.HEADER, "X-User-Id"), r.lb().hashKey());
        assertEquals(1.25, r.lb().boundedLoad());
        assertEquals(15000, r.timeouts().responseMs());
        assertEquals(1, r.retries().attempts());
        assertEquals("auth", r.script());
        assertEquals(r, RouteCodec.parse(SRC, RouteCodec.toJson(r), "orders"), "round trip");
    }

    @Test
    void minimalRouteTakesDefaultsAndItsIdFromTheZnodeName() throws Exception {
        Route r = parse("{\"match\":{\"pathPrefix\":\"/x/\"},\"service\":\"s\"}");
        assertEquals("orders", r.id());
        assertEquals(Policy.ROUND_ROBIN, r.policy());
        assertEquals("/x", r.match().normalizedPrefix());
        assertNull(r.match().host());
        assertTrue(r.match().methods().isEmpty());
    }

    @Test
    void everyProblemIsReportedAsSourceFieldReason() {
        List<String> p = problems("""
                {"id":"other","match":{"pathPrefix":"api","methods":["GET",7]},"stripPrefix":"yes",
                 "lb":{"policy":"fastest"},"timeouts":{"responseMs":-5},"colour":"red"}""");
        assertTrue(p.contains(SRC + ": id: 'other' differs from its znode name 'orders'"), p.toString());
        assertTrue(p.stream().anyMatch(s -> s.startsWith(SRC + ": match.pathPrefix: 'api' (expected:")), p.toString());
        assertTrue(p.stream().anyMatch(s -> s.startsWith(SRC + ": match.methods[1]: 7")), p.toString());
        assertTrue(p.contains(SRC + ": service: missing (expected: a service name, or a backends list for a weighted split)"), p.toString());
        assertTrue(p.stream().anyMatch(s -> s.startsWith(SRC + ": stripPrefix: a string \"yes\"")), p.toString());
        assertTrue(p.stream().anyMatch(s -> s.startsWith(SRC + ": lb.policy: unknown policy 'fastest' (expected one of: "
                + "round_robin, weighted_round_robin, consistent_hash, random, least_request)")), p.toString());
        assertTrue(p.stream().anyMatch(s -> s.startsWith(SRC + ": timeouts.responseMs: -5")), p.toString());
        assertTrue(p.stream().anyMatch(s -> s.startsWith(SRC + ": colour: unknown field")), p.toString());
        assertEquals(8, p.size(), p.toString());
    }

    @Test
    void invalidJsonNamesTheLine() {
        List<String> p = problems("{\n\"id\": \"orders\",\n\"match\": {\n}}}");
        assertEquals(1, p.size());
        assertTrue(p.get(0).startsWith(SRC + ": (document): invalid JSON at line 4"), p.get(0));
    }

    @Test
    void aHashKeyIsOneOfTheDocumentedFormsAndPrintsAsWritten() {
        assertTrue(problems("{\"match\":{\"pathPrefix\":\"/\"},\"service\":\"s\",\"lb\":{\"policy\":\"consistent_hash\","
                + "\"hashKey\":\"header:\"}}").get(0).contains("lb.hashKey: 'header:'"));
        for (String key : List.of("header:X-A", "cookie:sid", "query:u", "client_ip", "path")) {
            assertEquals(key, HashKey.parse(key).toString());
        }
        assertNull(HashKey.parse("client_ip:x"));
        assertNull(HashKey.parse("body"));
    }

    @Test
    void boundedLoadIsRefusedOnAnyPolicyButConsistentHash() {
        assertTrue(problems("{\"match\":{\"pathPrefix\":\"/\"},\"service\":\"s\",\"lb\":{\"policy\":\"random\","
                + "\"boundedLoad\":1.5}}").get(0).contains("only with consistent_hash"));
    }

    @Test
    void sameHostPrefixAndOverlappingMethodsConflictButAMethodRouteIsMoreSpecificThanAnAnyMethodOne() throws Exception {
        Route any = parse("{\"match\":{\"pathPrefix\":\"/api/\"},\"service\":\"s\"}");
        Route anyNoSlash = RouteCodec.parse("b", "{\"id\":\"b\",\"match\":{\"pathPrefix\":\"/api\"},\"service\":\"t\"}"
                .getBytes(StandardCharsets.UTF_8), null);
        Route get = RouteCodec.parse("c", "{\"id\":\"c\",\"match\":{\"pathPrefix\":\"/api\",\"methods\":[\"GET\"]},\"service\":\"t\"}"
                .getBytes(StandardCharsets.UTF_8), null);
        Route getPost = RouteCodec.parse("d", "{\"id\":\"d\",\"match\":{\"pathPrefix\":\"/api\",\"methods\":[\"post\",\"GET\"]},\"service\":\"t\"}"
                .getBytes(StandardCharsets.UTF_8), null);
        Route hosted = RouteCodec.parse("e", "{\"id\":\"e\",\"match\":{\"host\":\"A.example.com\",\"pathPrefix\":\"/api\"},\"service\":\"t\"}"
                .getBytes(StandardCharsets.UTF_8), null);
        assertTrue(RouteConflicts.sameMatch(any, anyNoSlash), "a trailing slash does not make a different prefix");
        assertTrue(RouteConflicts.sameMatch(get, getPost));
        assertTrue(!RouteConflicts.sameMatch(any, get));
        assertTrue(!RouteConflicts.sameMatch(any, hosted));
        List<Problem> p = RouteConflicts.check(List.of(any, anyNoSlash, get, getPost), r -> r.id() + ".json");
        assertEquals(2, p.size(), p.toString());
        assertTrue(p.get(0).toString().startsWith("b.json: match: duplicate match"), p.toString());
        assertTrue(p.get(1).toString().startsWith("d.json: match: duplicate match"), p.toString());
    }

    @Test
    void aPathPrefixMustBeInTheCanonicalFormThatRequestsAreMatchedOn() {
        assertTrue(problems("{\"match\":{\"pathPrefix\":\"/%61dmin\"},\"service\":\"s\"}")
                .contains(SRC + ": match.pathPrefix: '/%61dmin' is not in canonical form, which requests are matched on "
                        + "(expected: '/admin')"));
        assertTrue(problems("{\"match\":{\"pathPrefix\":\"/a/./b\"},\"service\":\"s\"}").get(0)
                .endsWith("(expected: '/a/b')"));
        assertTrue(problems("{\"match\":{\"pathPrefix\":\"/a;v=1\"},\"service\":\"s\"}").get(0)
                .contains("'/a;v=1' can never match a request: it holds a path parameter"));
        assertTrue(problems("{\"match\":{\"pathPrefix\":\"/a%2Fb\"},\"service\":\"s\"}").get(0)
                .contains("can never match a request: it holds an encoded '/'"));
    }

    @Test
    void aCanonicalPrefixWithPercentEncodingsIsAccepted() throws Exception {
        assertEquals("/caf%C3%A9", parse("{\"match\":{\"pathPrefix\":\"/caf%C3%A9/\"},\"service\":\"s\"}")
                .match().normalizedPrefix());
    }


    @Test
    void preserveHostHttpsRedirectAndRequestIdsAreBooleansWrittenBackOnlyWhenGiven() throws Exception {
        for (String field : List.of("preserveHost", "httpsRedirect", "requestIds")) {
            Route on = parse("{\"match\":{\"pathPrefix\":\"/a\"},\"service\":\"s\",\"" + field + "\":true}");
            assertTrue(switch (field) {
                case "preserveHost" -> on.preservesHost();
                case "httpsRedirect" -> on.redirectsToHttps();
                default -> on.requestIds(false);
            }, field);
            assertEquals(on, RouteCodec.parse(SRC, RouteCodec.toJson(on), "orders"), "round trip");
            Route off = parse("{\"match\":{\"pathPrefix\":\"/a\"},\"service\":\"s\",\"" + field + "\":false}");
            assertEquals(off, RouteCodec.parse(SRC, RouteCodec.toJson(off), "orders"), "round trip of false");
            assertTrue(new String(RouteCodec.toJson(off), StandardCharsets.UTF_8).contains("\"" + field + "\" : false"),
                    "an explicit false is written back");
            Route plain = parse("{\"match\":{\"pathPrefix\":\"/a\"},\"service\":\"s\"}");
            assertTrue(!plain.preservesHost() && !plain.redirectsToHttps()
                    && !new String(RouteCodec.toJson(plain), StandardCharsets.UTF_8).contains(field));
            assertTrue(problems("{\"match\":{\"pathPrefix\":\"/a\"},\"service\":\"s\",\"" + field + "\":\"yes\"}")
                    .contains(SRC + ": " + field + ": a string \"yes\" (expected: true or false)"));
        }
        Route quiet = parse("{\"match\":{\"pathPrefix\":\"/a\"},\"service\":\"s\",\"requestIds\":false}");
        Route plain = parse("{\"match\":{\"pathPrefix\":\"/a\"},\"service\":\"s\"}");
        assertTrue(!quiet.requestIds(true) && plain.requestIds(true) && !plain.requestIds(false),
                "requestIds overrides the gateway's setting; left out, the gateway's applies");
    }
}
