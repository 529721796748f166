package io.zkgate.gateway.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RequestTracingTest {
    private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";

    @Test
    void aRequestIdIsKeptOnlyWhenItIsOneToA128OfTheSafeCharacters() {
        for (String ok : List.of("a", "order-42", "A.b_c-9", "550e8400-e29b-41d4-a716-446655440000", "x".repeat(128))) {
            assertTrue(RequestTracing.wellFormedRequestId(ok), ok);
        }
        for (String bad : List.of("", "x".repeat(129), "a b", "a;b", "a\"b", "ü", "a/b", "a\tb")) {
            assertFalse(RequestTracing.wellFormedRequestId(bad), bad);
        }
    }

    @Test
    void traceparentsFollowTheW3cFormat() {
        assertTrue(RequestTracing.validTraceparent("00-" + TRACE + "-00f067aa0ba902b7-01"));
        assertTrue(RequestTracing.validTraceparent("00-" + TRACE + "-00f067aa0ba902b7-00"));
        assertTrue(RequestTracing.validTraceparent("cc-" + TRACE + "-00f067aa0ba902b7-01-what-the-future-adds"));
        for (String bad : List.of("00-" + TRACE + "-00f067aa0ba902b7-01-", "ff-" + TRACE + "-00f067aa0ba902b7-01",
                "00-" + "0".repeat(32) + "-00f067aa0ba902b7-01", "00-" + TRACE + "-0000000000000000-01",
                "00-" + TRACE.toUpperCase() + "-00f067aa0ba902b7-01", "00_" + TRACE + "-00f067aa0ba902b7-01",
                "00-" + TRACE + "-00f067aa0ba902b7", "cc-" + TRACE + "-00f067aa0ba902b7-01.more", "")) {
            assertFalse(RequestTracing.validTraceparent(bad), bad);
        }
    }

    @Test
    void generatedIdsAreHexOfTheirLengthAndDoNotRepeat() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            String id = RequestTracing.newId(2);
            assertTrue(id.matches("[0-9a-f]{32}"), id);
            assertTrue(seen.add(id), "repeated " + id);
        }
        assertTrue(RequestTracing.newId(1).matches("[0-9a-f]{16}"));
    }

    @Test
    void theGatewayContinuesAValidTraceAsANewSpanAndStartsOneOtherwise() {
        HeaderEdits edits = new HeaderEdits();
        RequestTracing.begin(TestRequest.get("/x").withHeader("traceparent", "00-" + TRACE + "-00f067aa0ba902b7-00")
                .withHeader("X-Request-Id", "r-1"), edits);
        assertEquals("r-1", edits.requestId());
        assertEquals(TRACE, edits.traceId());
        String sent = edits.responseValue("traceparent");
        assertTrue(sent.matches("00-" + TRACE + "-[0-9a-f]{16}-00"), "the caller's flags are kept: " + sent);
        assertNotEquals("00f067aa0ba902b7", sent.substring(36, 52));

        HeaderEdits fresh = new HeaderEdits();
        RequestTracing.begin(TestRequest.get("/x").withHeader("tracestate", "a=1"), fresh);
        assertTrue(fresh.traceId().matches("[0-9a-f]{32}"));
        assertTrue(fresh.requestId().matches("[0-9a-f]{32}"));
        assertTrue(fresh.editsUpstream("tracestate"), "a tracestate without a parent is removed");
    }

    @Test
    void theIdsAreTheFirstEditsSoALaterEditOfTheirNameWinsOnEveryFrontDoor() {
        HeaderEdits edits = new HeaderEdits();
        RequestTracing.begin(TestRequest.get("/x").withHeader("X-Request-Id", "r-1"), edits);
        edits.setUpstream("x-request-id", "from-a-policy").removeResponse("TRACEPARENT");

        StringBuilder upstream = new StringBuilder();
        edits.appendUpstreamLines((name, value) -> upstream.append(name).append(": ").append(value).append("\r\n"));
        assertFalse(upstream.toString().contains("r-1"), upstream.toString());
        assertTrue(upstream.toString().contains("x-request-id: from-a-policy\r\n"), upstream.toString());
        assertTrue(upstream.toString().matches("(?s).*traceparent: 00-[0-9a-f]{32}-[0-9a-f]{16}-01\r\n.*"));
        org.eclipse.jetty.http.HttpFields.Mutable fields = org.eclipse.jetty.http.HttpFields.build()
                .add("X-Request-Id", "client's");
        edits.applyUpstream(fields);
        assertEquals(List.of("from-a-policy"), fields.getValuesList("X-Request-Id"));

        StringBuilder response = new StringBuilder();
        edits.appendResponseLines((name, value) -> response.append(name).append(": ").append(value).append("\r\n"));
        assertEquals("X-Request-Id: r-1\r\n", response.toString(), "the traceparent was removed by a later edit");
        assertTrue(edits.setsResponse("traceparent") && edits.setsResponse("x-request-id"));
        assertEquals(null, edits.responseValue("traceparent"));
        assertEquals("r-1", edits.responseValue("X-REQUEST-ID"));
    }
}
