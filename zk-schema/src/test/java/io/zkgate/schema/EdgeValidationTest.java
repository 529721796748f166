package io.zkgate.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class EdgeValidationTest {
    private static final String SRC = "/zkgate/routes/web";

    private static Route parse(String fields) throws ValidationException {
        String json = "{\"id\":\"web\",\"match\":{\"pathPrefix\":\"/web\",\"methods\":[\"GET\",\"PUT\",\"OPTIONS\"]},"
                + "\"service\":\"web\"," + fields + "}";
        return RouteCodec.parse(SRC, json.getBytes(StandardCharsets.UTF_8), "web");
    }

    private static List<String> problems(String fields) {
        return assertThrows(ValidationException.class, () -> parse(fields)).problems().stream()
                .map(Problem::toString).toList();
    }

    @Test
    void corsAndIpRulesParseAndWriteBackTheSameFields() throws Exception {
        Route r = parse("""
                "cors":{"allowOrigins":["https://app.example.com","https://*.example.org:8443"],
                 "allowMethods":["get","PUT"],"allowHeaders":["X-Api-Version"],"exposeHeaders":["X-Request-Id"],
                 "allowCredentials":true,"maxAgeSeconds":600},
                "ipRules":{"allow":["10.0.0.0/8","2001:db8::/32"],"deny":["10.9.9.9"]}""");
        assertEquals(List.of("https://app.example.com", "https://*.example.org:8443"), r.cors().allowOrigins());
        assertEquals(List.of("GET", "PUT"), r.cors().allowMethods());
        assertTrue(r.cors().credentials());
        assertEquals(600, r.cors().maxAgeSeconds());
        assertEquals(List.of("10.9.9.9"), r.ipRules().deny());
        assertEquals(r, RouteCodec.parse(SRC, RouteCodec.toJson(r), "web"), "round trip");
    }

    @Test
    void aRouteWithoutThemHasNeither() throws Exception {
        Route r = parse("\"stripPrefix\":false");
        assertNull(r.cors());
        assertNull(r.ipRules());
        assertFalse(RouteCodec.toTree(r).has("cors"));
    }

    @Test
    void aCorsMethodTheRouteDoesNotTakeIsRefusedNamingTheRoutesMethodsInAlphabeticalOrder() {
        assertTrue(problems("\"cors\":{\"allowOrigins\":[\"*\"],\"allowMethods\":[\"DELETE\"]}")
                .contains(SRC + ": cors.allowMethods[0]: 'DELETE' is not among match.methods [GET, OPTIONS, PUT] "
                        + "(expected: methods the route takes)"));
    }

    @Test
    void anyOriginWithCredentialsIsRefusedAsTheFetchStandardRefusesIt() {
        List<String> p = problems("\"cors\":{\"allowOrigins\":[\"*\"],\"allowCredentials\":true}");
        assertTrue(p.stream().anyMatch(s -> s.startsWith(SRC + ": cors.allowOrigins[0]: '*' with allowCredentials "
                + "true")), p.toString());
    }

    @Test
    void everyBadCorsValueIsNamedByFieldAndReason() {
        List<String> p = problems("""
                "cors":{"allowOrigins":["https://app.example.com/path","HTTPS://Upper.example.com","*"],
                 "allowMethods":["DELETE","B@D"],"allowHeaders":["X Bad"],"exposeHeaders":"X-Id",
                 "allowCredentials":"yes","maxAgeSeconds":100000,"origin":"x"}""");
        assertTrue(p.contains(SRC + ": cors.origin: unknown field (expected one of: [allowCredentials, allowHeaders, "
                + "allowMethods, allowOrigins, exposeHeaders, maxAgeSeconds])"), p.toString());
        assertTrue(p.stream().anyMatch(s -> s.startsWith(SRC + ": cors.allowOrigins[0]: 'https://app.example.com/path'")),
                p.toString());
        assertTrue(p.stream().anyMatch(s -> s.startsWith(SRC + ": cors.allowOrigins[1]: ")), p.toString());
        assertTrue(p.stream().anyMatch(s -> s.startsWith(SRC + ": cors.allowOrigins[2]: '*' beside other origins")),
                p.toString());
        assertTrue(p.stream().anyMatch(s -> s.startsWith(SRC + ": cors.allowMethods[0]: 'DELETE' is not among "
                + "match.methods")), p.toString());
        assertTrue(p.stream().anyMatch(s -> s.startsWith(SRC + ": cors.allowMethods[1]: 'B@D'")), p.toString());
        assertTrue(p.stream().anyMatch(s -> s.startsWith(SRC + ": cors.allowHeaders[0]: 'X Bad'")), p.toString());
        assertTrue(p.contains(SRC + ": cors.exposeHeaders: a string (expected: an array of strings)"), p.toString());
        assertTrue(p.stream().anyMatch(s -> s.startsWith(SRC + ": cors.allowCredentials: a string")), p.toString());
        assertTrue(p.contains(SRC + ": cors.maxAgeSeconds: 100000 (expected: an integer from 0 to 86400)"),
                p.toString());
        assertTrue(problems("\"cors\":{\"allowMethods\":[\"GET\"]}")
                .contains(SRC + ": cors.allowOrigins: missing (expected: an array of strings)"));
    }

    @Test
    void everyBadIpRuleIsNamedByFieldAndReason() {
        List<String> p = problems("\"ipRules\":{\"allow\":[\"10.0.0.0/33\",\"example.com\",\"::1/129\",\"1.2.3\"],"
                + "\"deny\":[\"fe80::1%eth0\"],\"block\":[]}");
        assertTrue(p.stream().anyMatch(s -> s.startsWith(SRC + ": ipRules.allow[0]: '10.0.0.0/33' (expected: an IPv4 "
                + "or IPv6 address")), p.toString());
        for (String field : List.of("ipRules.allow[1]", "ipRules.allow[2]", "ipRules.allow[3]", "ipRules.deny[0]",
                "ipRules.block")) {
            assertTrue(p.stream().anyMatch(s -> s.startsWith(SRC + ": " + field + ": ")), field + " in " + p);
        }
        assertTrue(problems("\"ipRules\":{}").contains(SRC + ": ipRules: no rule (expected: a non-empty allow or "
                + "deny list of CIDRs)"));
    }

    @Test
    void cidrsMatchTheirRangeInBothFamiliesAndNeverResolveNames() {
        Cidr ten = Cidr.parse("10.0.0.0/8");
        assertTrue(ten.contains(Cidr.literal("10.200.3.4")));
        assertFalse(ten.contains(Cidr.literal("11.0.0.1")));
        assertTrue(ten.contains(Cidr.literal("::ffff:10.1.2.3")), "IPv4-mapped IPv6 counts as IPv4");
        assertTrue(ten.contains(Cidr.literal("10.1.2.3:5555")), "a port after an IPv4 address is ignored");
        Cidr doc = Cidr.parse("2001:db8::/32");
        assertTrue(doc.contains(Cidr.literal("2001:db8:ffff::1")));
        assertTrue(doc.contains(Cidr.literal("[2001:db8::1]:443")));
        assertFalse(doc.contains(Cidr.literal("2001:db9::1")));
        assertFalse(doc.contains(Cidr.literal("10.0.0.1")), "the other family never matches");
        assertTrue(Cidr.parse("192.168.1.77/25").contains(Cidr.literal("192.168.1.1")));
        assertFalse(Cidr.parse("192.168.1.77/25").contains(Cidr.literal("192.168.1.200")));
        assertTrue(Cidr.parse("0.0.0.0/0").contains(Cidr.literal("8.8.8.8")));
        assertTrue(Cidr.parse("::1").contains(Cidr.literal("0:0:0:0:0:0:0:1")));
        assertEquals("10.0.0.0/8", Cidr.parse("10.1.2.3/8").toString());
        assertTrue(Cidr.parse("fe80::/10").contains(Cidr.literal("fe80::1%eth0")), "a link-local peer's zone");
        assertNull(Cidr.literal("localhost"));
        assertNull(Cidr.literal("abc.example.com"));
        assertNull(Cidr.literal("256.1.1.1"));
        assertNull(Cidr.literal("unknown"));
    }
}
