package io.zkgate.gateway.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class GrpcTest {
    @Test
    void grpcTimeoutUnitsBecomeMillisecondsRoundedUp() {
        assertEquals(2 * 3_600_000L, Grpc.timeoutMs("2H"));
        assertEquals(60_000, Grpc.timeoutMs("1M"));
        assertEquals(5_000, Grpc.timeoutMs("5S"));
        assertEquals(250, Grpc.timeoutMs("250m"));
        assertEquals(2, Grpc.timeoutMs("1500u"));
        assertEquals(1, Grpc.timeoutMs("1n"));
    }

    @Test
    void malformedGrpcTimeoutsAreIgnored() {
        for (String bad : new String[] {null, "", "5", "S", "5s", "-5S", "123456789S", "1.5S"}) {
            assertEquals(-1, Grpc.timeoutMs(bad), String.valueOf(bad));
        }
    }

    @Test
    void gatewayErrorsMapToTheGrpcStatusAClientCanActOn() {
        assertEquals(Grpc.UNAVAILABLE, Grpc.status(ErrorResponse.NO_INSTANCES));
        assertEquals(Grpc.UNAVAILABLE, Grpc.status(ErrorResponse.UPSTREAM_UNREACHABLE));
        assertEquals(Grpc.DEADLINE_EXCEEDED, Grpc.status(ErrorResponse.UPSTREAM_TIMEOUT));
        assertEquals(Grpc.UNIMPLEMENTED, Grpc.status(ErrorResponse.NO_ROUTE));
    }

    @Test
    void grpcMessagesArePercentEncoded() {
        assertEquals("no_instances: 50%25 caf%C3%A9%0A", Grpc.encodeMessage("no_instances: 50% café\n"));
    }

    @Test
    void onlyGrpcContentTypesAreRecognisedAsGrpc() {
        assertTrue(Grpc.isGrpc("application/grpc"));
        assertTrue(Grpc.isGrpc("application/grpc+proto"));
        assertFalse(Grpc.isGrpc("application/json"));
        assertFalse(Grpc.isGrpc(null));
    }
}
