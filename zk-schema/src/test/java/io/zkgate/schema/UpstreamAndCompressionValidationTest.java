package io.zkgate.schema;

import static io.zkgate.schema.OrdersRoute.SRC;
import static io.zkgate.schema.OrdersRoute.parseFields;
import static io.zkgate.schema.OrdersRoute.problemsOfFields;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class UpstreamAndCompressionValidationTest {
    @Test
    void aRouteFileWithUpstreamAndCompressionBlocksLoadsAsTheCliReadsIt() throws Exception {
        RouteFiles.Loaded loaded = RouteFiles.load(List.of(Path.of(getClass().getResource("/routes/upstream").toURI())));

        assertTrue(loaded.ok(), loaded.problems().toString());
        Route payments = loaded.routes().stream().map(RouteFiles.Entry::route)
                .filter(r -> r.id().equals("payments")).findFirst().orElseThrow();
        assertEquals("payments.internal", payments.upstreamTls().serverName());
        assertEquals(1024, payments.compression().effectiveMinBytes());
        Route greeter = loaded.routes().stream().map(RouteFiles.Entry::route)
                .filter(r -> r.id().equals("greeter")).findFirst().orElseThrow();
        assertEquals(Route.Upstream.Protocol.H2C, greeter.upstreamProtocol());
    }

    @Test
    void anUpstreamTlsBlockVerifiesByDefaultAndWritesBackWhatWasGiven() throws Exception {
        Route r = parseFields("""
                "upstream":{"tls":{"ca":"/etc/zkgate/ca.pem","serverName":"orders.internal",
                  "clientCertificate":"/etc/zkgate/gw.crt","clientKey":"/etc/zkgate/gw.key"}}""");
        assertTrue(r.upstreamTls().verifies());
        assertEquals("orders.internal", r.upstreamTls().serverName());
        assertEquals(Route.Upstream.Protocol.HTTP_1_1, r.upstreamProtocol());
        assertEquals(r, RouteCodec.parse(SRC, RouteCodec.toJson(r), "orders"), "round trip");
    }

    @Test
    void h2ImpliesTlsWithDefaults() throws Exception {
        Route h2 = parseFields("\"upstream\":{\"protocol\":\"h2\"}");
        assertEquals(Route.Tls.DEFAULTS, h2.upstreamTls());
    }

    @Test
    void h2cAndARouteWithoutAnUpstreamBlockArePlainText() throws Exception {
        Route h2c = parseFields("\"upstream\":{\"protocol\":\"h2c\"}");
        assertNull(h2c.upstreamTls());
        assertEquals(Route.Upstream.Protocol.H2C, h2c.upstreamProtocol());
        assertNull(parseFields("\"preserveHost\":true").upstreamTls(), "no upstream block: plain HTTP/1.1");
    }

    @Test
    void badUpstreamValuesAreRefusedNamingFieldAndReason() {
        List<String> p = problemsOfFields("""
                "upstream":{"protocol":"h3","tls":{"verify":"no","ca":"ca.pem","serverName":"a b",
                  "clientCertificate":"/c.pem","colour":1}}""");
        assertTrue(p.contains(SRC + ": upstream.protocol: unknown protocol 'h3' (expected one of: http/1.1, h2c, h2)"),
                p.toString());
        assertTrue(p.contains(SRC + ": upstream.tls.verify: a string \"no\" (expected: true or false)"), p.toString());
        assertTrue(p.contains(SRC + ": upstream.tls.ca: 'ca.pem' (expected: an absolute path to a PEM file on the "
                + "gateway's host)"), p.toString());
        assertTrue(p.stream().anyMatch(s -> s.startsWith(SRC + ": upstream.tls.serverName: 'a b'")), p.toString());
        assertTrue(p.contains(SRC + ": upstream.tls.clientKey: missing (expected: clientCertificate and clientKey "
                + "together, for mutual TLS)"), p.toString());
        assertTrue(p.stream().anyMatch(s -> s.startsWith(SRC + ": upstream.tls.colour: unknown field")), p.toString());
    }

    @Test
    void verificationIsNeverSkippedSilently() {
        assertEquals(List.of(SRC + ": upstream.tls.verify: false, but ca is set for verifying (expected: true, or "
                + "leave out ca and serverName)"), problemsOfFields("\"upstream\":{\"tls\":{\"verify\":false,\"ca\":\"/ca.pem\"}}"));
        assertEquals(List.of(SRC + ": upstream.protocol: 'h2c' is HTTP/2 in plain text, but upstream.tls is set "
                + "(expected: 'h2' for HTTP/2 over TLS)"), problemsOfFields("\"upstream\":{\"protocol\":\"h2c\",\"tls\":{}}"));
    }

    @Test
    void compressionIsOnWhenItsBlockIsGivenAndItsValuesAreChecked() throws Exception {
        Route r = parseFields("\"compression\":{\"minBytes\":100,\"contentTypes\":[\"Application/JSON\",\"text/html\"]}");
        assertTrue(r.compresses());
        assertEquals(List.of("application/json", "text/html"), r.compression().contentTypes());
        assertEquals(r, RouteCodec.parse(SRC, RouteCodec.toJson(r), "orders"), "round trip");
        assertFalse(parseFields("\"compression\":{\"enabled\":false}").compresses());
        assertFalse(parseFields("\"preserveHost\":true").compresses(), "no block: no compression");
        assertEquals(Route.Compression.DEFAULT_MIN_BYTES, parseFields("\"compression\":{}").compression().effectiveMinBytes());

        List<String> p = problemsOfFields("\"compression\":{\"minBytes\":-1,\"contentTypes\":\"text/html\",\"level\":9}");
        assertTrue(problemsOfFields("\"compression\":{\"contentTypes\":[\"text/*\"]}").get(0).endsWith(
                "compression.contentTypes[0]: \"text/*\" (expected: a media type without parameters or wildcards, such "
                + "as application/json)"));
        assertTrue(p.contains(SRC + ": compression.minBytes: -1 (expected: an integer from 0 to 67108864)"), p.toString());
        assertTrue(p.contains(SRC + ": compression.contentTypes: a string (expected: an array of media types)"),
                p.toString());
        assertTrue(p.stream().anyMatch(s -> s.startsWith(SRC + ": compression.level: unknown field")), p.toString());
    }
}
