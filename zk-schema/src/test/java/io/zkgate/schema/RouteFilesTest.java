package io.zkgate.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class RouteFilesTest {
    @Test
    void aProblemNamesFileLineOfTheFieldRouteAndField() {
        String yaml = "id: a\nmatch:\n  pathPrefix: /a\nservice: a\n---\nid: b\nmatch:\n  pathPrefix: /b\n"
                + "service: b\ntimeouts:\n  connectMs: -5\n";

        RouteFiles.Loaded loaded = RouteFiles.read("r.yaml", yaml.getBytes(StandardCharsets.UTF_8));

        assertEquals(List.of("a"), ids(loaded));
        assertEquals(List.of("r.yaml:11 (route 'b'): timeouts.connectMs: -5 (expected: an integer from 1 to 3600000)"),
                messages(loaded));
    }

    @Test
    void aRouteInAJsonListIsNamedByPositionWhenItHasNoId() {
        String json = "[\n {\"id\":\"a\",\"match\":{\"pathPrefix\":\"/a\"},\"service\":\"a\"},\n"
                + " {\"match\":{\"pathPrefix\":\"/b\",\"methods\":[\"GET\", 7]},\"service\":\"b\"}\n]";

        RouteFiles.Loaded loaded = RouteFiles.read("r.json", json.getBytes(StandardCharsets.UTF_8));

        assertEquals(List.of("r.json:3 (route #2): id: missing (expected: the route id; only a file holding a single "
                        + "route may leave it out, taking the file name)",
                "r.json:3 (route #2): match.methods[1]: 7 (expected: a method name such as GET)"), messages(loaded));
    }

    @Test
    void aFileHoldingOneRouteWithoutAnIdTakesTheIdFromTheFileName() {
        RouteFiles.Loaded loaded = RouteFiles.read("routes/orders.yaml",
                "match:\n  pathPrefix: /api/orders\nservice: orders\n".getBytes(StandardCharsets.UTF_8));

        assertEquals(List.of(), messages(loaded));
        assertEquals("orders", loaded.routes().get(0).route().id());
    }

    @Test
    void anIdInTheFileWinsOverTheFileName() {
        RouteFiles.Loaded loaded = RouteFiles.read("routes/all.json",
                "{\"id\":\"users\",\"match\":{\"pathPrefix\":\"/u\"},\"service\":\"u\"}"
                        .getBytes(StandardCharsets.UTF_8));

        assertEquals("users", loaded.routes().get(0).route().id());
    }

    @Test
    void aYamlSyntaxErrorNamesTheLineAndSaysWhatWasExpected() {
        RouteFiles.Loaded loaded = RouteFiles.read("r.yaml",
                "id: a\nmatch:\n  pathPrefix: /a\n service: a\n".getBytes(StandardCharsets.UTF_8));

        String message = messages(loaded).get(0);
        assertTrue(message.startsWith("r.yaml:4: (document): invalid YAML: "), message);
        assertTrue(message.contains("expected <block end>"), message);
    }

    @Test
    void everyRouteReadFromFilesIsAcceptedByTheZnodeValidationAsTheSameRoute() throws Exception {
        String yaml = "id: a\nmatch: {host: API.Example.com, pathPrefix: /a/, methods: [get]}\nservice: a\n"
                + "lb: {policy: consistent_hash, hashKey: 'cookie:sid', boundedLoad: 2}\n";

        Route fromFile = RouteFiles.read("a.yaml", yaml.getBytes(StandardCharsets.UTF_8)).routes().get(0).route();
        Route fromZnode = RouteCodec.parse("/zkgate/routes/a", RouteCodec.toJson(fromFile), "a");

        assertEquals(fromFile, fromZnode);
    }

    private static List<String> ids(RouteFiles.Loaded loaded) {
        return loaded.routes().stream().map(e -> e.route().id()).collect(Collectors.toList());
    }

    private static List<String> messages(RouteFiles.Loaded loaded) {
        return loaded.problems().stream().map(Problem::toString).collect(Collectors.toList());
    }
}
