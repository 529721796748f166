package io.zkgate.schema.cli;

import static io.zkgate.schema.cli.ZkTestSupport.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code zkgate-ctl routes validate} runs the gateway's own validation of rate limits and concurrency caps. */
class RoutesValidateLimitsTest {
    @TempDir
    Path dir;

    @Test
    void validateRefusesABadRateLimitNamingTheFileFieldAndReason() {
        Path file = write(dir, "api.json", """
                {"id":"api","match":{"pathPrefix":"/api"},"service":"api",
                 "rateLimit":{"requestsPerSecond":-1,"burst":10,"key":"client_ip","scope":"fleet"},
                 "maxInFlight":-3}""");
        CtlRun run = CtlRun.of(Map.of(), "--zk", "127.0.0.1:1", "routes", "validate", file.toString());

        assertEquals(1, run.code(), run.toString());
        assertTrue(run.err().contains("api.json:2 (route 'api'): rateLimit.requestsPerSecond: -1 (expected: a number > 0"), run.err());
        assertTrue(run.err().contains("api.json:3 (route 'api'): maxInFlight: -3 (expected: an integer from 1 to 1000000)"), run.err());
    }

    @Test
    void validateAcceptsGoodLimits() {
        Path file = write(dir, "api.json", """
                {"id":"api","match":{"pathPrefix":"/api"},"service":"api",
                 "rateLimit":[{"requestsPerSecond":100,"burst":200,"key":"header:X-Api-Key"},
                              {"requestsPerSecond":1000,"key":"route","scope":"fleet"}],
                 "maxInFlight":200}""");
        CtlRun run = CtlRun.of(Map.of(), "--zk", "127.0.0.1:1", "routes", "validate", file.toString());

        assertEquals(0, run.code(), run.toString());
    }
}
