package io.zkgate.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ServiceInstanceCodecTest {
    private static ServiceInstance parse(String json) throws ValidationException {
        return ServiceInstanceCodec.parse("/services/orders/i1", "orders", "i1", json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void theSslPortIsReadWrittenBackAndNullMeansNone() throws Exception {
        String base = "{\"name\":\"orders\",\"id\":\"i1\",\"address\":\"10.0.0.1\",\"port\":8080,";
        assertEquals(8443, parse(base + "\"sslPort\":8443}").sslPort());
        assertEquals(0, parse(base + "\"sslPort\":null}").sslPort());
        assertEquals(0, parse(base + "\"payload\":null}").sslPort());
        ServiceInstance tls = parse(base + "\"sslPort\":\"8443\"}");
        assertEquals(tls, ServiceInstanceCodec.parse("/services/orders/i1", "orders", "i1",
                ServiceInstanceCodec.toJson(tls)));
        ValidationException e = org.junit.jupiter.api.Assertions.assertThrows(ValidationException.class,
                () -> parse(base + "\"sslPort\":70000}"));
        assertEquals("sslPort", e.problems().get(0).field());
    }

    @Test
    void weightComesFromPayloadWeightThenMetadataWeightThenDefaultsToOne() throws Exception {
        String base = "{\"name\":\"orders\",\"id\":\"i1\",\"address\":\"10.0.0.1\",\"port\":8080,";
        assertEquals(5, parse(base + "\"payload\":{\"weight\":5,\"metadata\":{\"weight\":\"9\"}}}").weight());
        assertEquals(9, parse(base + "\"payload\":{\"@class\":\"com.example.Unknown\",\"metadata\":{\"weight\":\"9\"}}}").weight());
        assertEquals(1, parse(base + "\"payload\":null}").weight());
        assertEquals(1, parse(base + "\"payload\":{\"@class\":\"x.Y\",\"zone\":\"a\"}}").weight());
        ServiceInstance drained = parse(base + "\"payload\":{\"metadata\":{\"weight\":\"0\"}}}");
        assertEquals(0, drained.weight());
        assertFalse(drained.routable(), "weight 0 means drained");
        assertFalse(parse(base + "\"enabled\":false}").routable(), "disabled");
    }

    @Test
    void aHandWrittenRegistrationWithOnlyAddressAndPortIsRoutable() throws Exception {
        ServiceInstance minimal = parse("{\"address\":\"127.0.0.1\",\"port\":8080}");
        assertEquals("orders", minimal.name(), "name from the znode path");
        assertEquals("i1", minimal.id(), "id from the znode path");
        assertTrue(minimal.routable());
    }

    @Test
    void aPortMayBeWrittenAsAStringButMustBeAWholeNumberInRange() throws Exception {
        assertEquals(8081, parse("{\"address\":\"127.0.0.1\",\"port\":\"8081\"}").port());
        assertThrows(ValidationException.class, () -> parse("{\"address\":\"127.0.0.1\",\"port\":\"http\"}"));
        assertThrows(ValidationException.class, () -> parse("{\"address\":\"127.0.0.1\",\"port\":\"99999\"}"));
        assertThrows(ValidationException.class, () -> parse("{\"address\":\"127.0.0.1\",\"port\":8080.5}"));
    }

    @Test
    void badInstancesNameTheZnodeAndField() {
        ValidationException e = assertThrows(ValidationException.class,
                () -> parse("{\"address\":\"\",\"port\":70000,\"payload\":{\"metadata\":{\"weight\":\"heavy\"}}}"));
        String m = e.getMessage();
        assertTrue(m.contains("/services/orders/i1: address: missing"), m);
        assertTrue(m.contains("/services/orders/i1: port: 70000"), m);
        assertTrue(m.contains("/services/orders/i1: payload.metadata.weight: \"heavy\""), m);
    }

    @Test
    void whatWeWriteIsTheCuratorFormatWithASpringPayloadAndReadsBack() throws Exception {
        ServiceInstance in = new ServiceInstance("orders", "i1", "10.0.0.1", 8080, 3, true, 1700000000000L,
                Map.of("zone", "a"));
        String json = new String(ServiceInstanceCodec.toJson(in), StandardCharsets.UTF_8);
        for (String field : new String[] {"\"name\":\"orders\"", "\"id\":\"i1\"", "\"address\":\"10.0.0.1\"",
                "\"port\":8080", "\"sslPort\":null", "\"registrationTimeUTC\":1700000000000",
                "\"serviceType\":\"DYNAMIC\"", "\"@class\":\"" + ServiceInstanceCodec.SPRING_PAYLOAD_CLASS + "\"",
                "\"weight\":\"3\""}) {
            assertTrue(json.contains(field), field + " in " + json);
        }
        assertEquals(in, ServiceInstanceCodec.parse("p", null, null, json.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void aDocumentOfTheWrongKindIsNamedWithItsArticle() {
        assertTrue(assertThrows(ValidationException.class, () -> parse("[1,2]")).getMessage()
                .contains("/services/orders/i1: (document): an array (expected:"));
        assertTrue(assertThrows(ValidationException.class, () -> parse("\"x\"")).getMessage()
                .contains("(document): a string (expected:"));
        assertTrue(assertThrows(ValidationException.class, () -> parse("null")).getMessage()
                .contains("(document): null (expected:"));
    }

    @Test
    void anIpv6AddressIsBracketedWhereItIsWrittenWithItsPort() throws Exception {
        ServiceInstance v6 = parse("{\"address\":\"fd00::7\",\"port\":8080}");
        assertEquals("fd00::7", v6.address(), "the address as registered, to connect to");
        assertEquals("[fd00::7]:8080", v6.authority());
        assertEquals("10.0.0.1:8080", parse("{\"address\":\"10.0.0.1\",\"port\":8080}").authority());
        assertEquals("[::1]:80", ServiceInstance.authority("[::1]", 80), "already bracketed: kept");
    }
}
