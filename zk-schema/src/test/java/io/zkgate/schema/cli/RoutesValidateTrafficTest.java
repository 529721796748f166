package io.zkgate.schema.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code zkgate-ctl routes validate} refuses bad traffic-policy fields with file, field and reason, offline. */
class RoutesValidateTrafficTest {
    @TempDir
    Path dir;

    @Test
    void validateRefusesBothServiceAndBackendsZeroWeightsAndAnInvalidRegex() throws Exception {
        Files.writeString(dir.resolve("both.json"), "{\"id\":\"both\",\"match\":{\"pathPrefix\":\"/both\"},"
                + "\"service\":\"a\",\"backends\":[{\"service\":\"b\",\"weight\":1}]}");
        Files.writeString(dir.resolve("zero.yaml"), """
                id: zero
                match: {pathPrefix: /zero}
                backends:
                  - {service: a, weight: 0}
                  - {service: b, weight: 0}
                """);
        Files.writeString(dir.resolve("regex.json"), "{\"id\":\"regex\",\"match\":{\"pathPrefix\":\"/regex\","
                + "\"headers\":[{\"name\":\"X-Id\",\"regex\":\"[0-9\"}]},\"service\":\"a\"}");
        CtlRun run = CtlRun.of(Map.of(), "--zk", "127.0.0.1:1", "routes", "validate", dir.toString());

        assertEquals(1, run.code(), run.toString());
        assertTrue(run.err().contains("both.json") && run.err().contains("backends: set together with service"),
                run.err());
        assertTrue(run.err().contains("zero.yaml") && run.err().contains("backends: weights sum to 0"), run.err());
        assertTrue(run.err().contains("regex.json") && run.err().contains("match.headers[0].regex: '[0-9' is not a "
                + "valid RE2 regular expression"), run.err());
    }

    @Test
    void validateAcceptsASplitWithConditionsAndAMirror() throws Exception {
        Files.writeString(dir.resolve("orders.yaml"), """
                id: orders
                match:
                  pathPrefix: /api/orders
                  headers: [{name: X-Env, exact: canary}]
                backends:
                  - {service: orders-v2, weight: 5}
                  - {service: orders, weight: 95}
                mirror: {service: orders-shadow, percent: 10}
                """);
        CtlRun run = CtlRun.of(Map.of(), "--zk", "127.0.0.1:1", "routes", "validate", dir.toString());

        assertEquals(0, run.code(), run.toString());
    }
}
