package io.zkgate.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The written form of a route is its contract form: each file in codec/ is a route as {@link RouteCodec#toJson}
 * writes it, so reading it and writing it again must give the same bytes. This pins every block's fields, their
 * order and which optional ones are left out, whichever block codec writes them.
 */
class RouteWritingTest {
    @ParameterizedTest
    @ValueSource(strings = {"every-field", "split-mirror-api-key", "basic-auth", "jwt-znode"})
    void aRouteInItsWrittenFormIsWrittenBackByteForByte(String name) throws Exception {
        byte[] written;
        try (InputStream in = RouteWritingTest.class.getResourceAsStream("/codec/" + name + ".json")) {
            written = in.readAllBytes();
        }
        Route route = RouteCodec.parse("/zkgate/routes/" + name, written, name);
        assertEquals(new String(written, StandardCharsets.UTF_8),
                new String(RouteCodec.toJson(route), StandardCharsets.UTF_8));
    }
}
