package io.zkgate.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.schema.cli.ZkgateCtl;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The shared fixtures: every file in routes/good passes, every file in routes/bad fails naming the field listed in
 * routes/bad/expected.properties, through the CLI and through the validation the gateway runs on znodes.
 */
class RouteFixturesTest {
    static Stream<String> badFixtures() throws IOException {
        return expected().stringPropertyNames().stream().sorted();
    }

    @ParameterizedTest
    @MethodSource("badFixtures")
    void aMalformedFileExitsOneNamingTheFileAndTheField(String name) throws Exception {
        Path file = fixtures("bad").resolve(name);
        String field = expected().getProperty(name);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();

        int code = ZkgateCtl.run(new String[] {"routes", "validate", file.toString()},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));

        String messages = err.toString(StandardCharsets.UTF_8);
        assertEquals(1, code, messages);
        assertTrue(messages.lines().anyMatch(l -> l.startsWith(file.toString()) && l.contains(": " + field + ": ")),
                messages);
    }

    @Test
    void everyBadFixtureIsListedWithItsField() throws Exception {
        try (Stream<Path> files = Files.list(fixtures("bad"))) {
            List<String> names = files.map(p -> p.getFileName().toString())
                    .filter(n -> !n.equals("expected.properties")).sorted().collect(Collectors.toList());
            assertEquals(names, expected().stringPropertyNames().stream().sorted().collect(Collectors.toList()));
        }
    }

    @Test
    void theGoodFixturesPassAndEachRoutePassesTheZnodeValidationUnchanged() throws Exception {
        RouteFiles.Loaded loaded = RouteFiles.load(List.of(fixtures("good")));

        assertTrue(loaded.ok(), loaded.problems().toString());
        assertEquals(8, loaded.routes().size());
        for (RouteFiles.Entry e : loaded.routes()) {
            Route stored = RouteCodec.parse("/zkgate/routes/" + e.route().id(), RouteCodec.toJson(e.route()),
                    e.route().id());
            assertEquals(e.route(), stored, e.source());
        }
    }

    @Test
    void aBadRouteThatIsJsonFailsTheZnodeValidationOnTheSameField() throws Exception {
        // What a gateway reads from a znode: the same document as JSON bytes, checked by the same code.
        byte[] json = Files.readAllBytes(fixtures("bad").resolve("bad-prefix.json"));

        ValidationException e = org.junit.jupiter.api.Assertions.assertThrows(ValidationException.class,
                () -> RouteCodec.parse("/zkgate/routes/relative", json, "relative"));

        assertEquals("match.pathPrefix", e.problems().get(0).field());
        assertFalse(RouteFiles.load(List.of(fixtures("bad").resolve("bad-prefix.json"))).ok());
    }

    static Path fixtures(String folder) throws URISyntaxException {
        return Path.of(RouteFixturesTest.class.getResource("/routes/" + folder).toURI());
    }

    private static Properties expected() throws IOException {
        Properties p = new Properties();
        try (InputStream in = RouteFixturesTest.class.getResourceAsStream("/routes/bad/expected.properties")) {
            p.load(in);
        }
        return p;
    }
}
