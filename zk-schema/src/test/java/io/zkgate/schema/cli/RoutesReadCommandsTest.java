package io.zkgate.schema.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.schema.Route;
import io.zkgate.schema.RouteCodec;
import io.zkgate.schema.RouteFiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RoutesReadCommandsTest extends ZkTestSupport {
    @BeforeEach
    void applyGoodFixtures() {
        assertEquals(0, ctl("init").code());
        assertEquals(0, ctl("routes", "apply", resource("routes/good").toString()).code());
    }

    @Test
    void listShowsEveryRouteWithItsMatchServiceAndPolicy() {
        CtlRun run = ctl("routes", "list");

        assertEquals(0, run.code(), run.toString());
        assertTrue(run.out().startsWith("route version 1, 8 routes"), run.out());
        assertTrue(run.out().matches("(?s).*\\norders +api\\.example\\.com +/api/orders +GET,POST +orders +"
                + "consistent_hash +-\\n.*"), run.out());
        assertTrue(run.out().matches("(?s).*\\ncatalog +\\* +/api/catalog +\\* +catalog +round_robin +-\\n.*"),
                run.out());
    }

    @Test
    void listMarksAnInvalidRouteZnode() throws Exception {
        observer.create().forPath(LAYOUT.routePath("broken"), "{not json".getBytes(StandardCharsets.UTF_8));

        CtlRun run = ctl("routes", "list");

        assertEquals(0, run.code(), run.toString());
        assertTrue(run.out().matches("(?s).*\\nbroken +INVALID +\\(document\\): invalid JSON.*"), run.out());
        assertTrue(run.err().contains("/zkgate/routes/broken: (document): invalid JSON"), run.err());
    }

    @Test
    void getPrintsTheStoredJson() throws Exception {
        CtlRun run = ctl("routes", "get", "orders");

        assertEquals(0, run.code(), run.toString());
        assertEquals(new String(observer.getData().forPath(LAYOUT.routePath("orders")), StandardCharsets.UTF_8).strip(),
                run.out().strip());
    }

    @Test
    void getAsYamlGivesAFileThatValidatesToTheSameRoute() throws Exception {
        CtlRun run = ctl("routes", "get", "orders", "--format", "yaml");

        assertEquals(0, run.code(), run.toString());
        assertTrue(run.out().contains("pathPrefix: /api/orders"), run.out());
        Path file = write(dir, "orders.yaml", run.out());
        assertEquals(0, ctl("routes", "validate", file.toString()).code());
        Route fromYaml = RouteFiles.load(List.of(file)).routes().get(0).route();
        Route stored = RouteCodec.parse("zk", observer.getData().forPath(LAYOUT.routePath("orders")), "orders");
        assertEquals(stored, fromYaml);
    }

    @Test
    void getOfAMissingRouteExitsOne() {
        CtlRun run = ctl("routes", "get", "nope");

        assertEquals(1, run.code(), run.toString());
        assertTrue(run.err().contains("no route 'nope'"), run.err());
    }

    @Test
    void deleteRemovesOneRouteAndBumpsTheRouteVersion() throws Exception {
        CtlRun run = ctl("routes", "delete", "billing");

        assertEquals(0, run.code(), run.toString());
        assertTrue(run.out().contains("deleted route 'billing' (route version 1 -> 2)"), run.out());
        assertEquals(Set.of("orders", "catalog", "catalog-admin", "users", "users-search", "static", "health"),
                routesInZk().keySet());
        assertEquals(2, versionsInZk().get(""));
        assertEquals(1, ctl("routes", "delete", "billing").code());
    }

    @Test
    void validateAcceptsTheGoodFixturesWithoutZooKeeper() {
        CtlRun run = CtlRun.of(java.util.Map.of(), "--zk", "127.0.0.1:1", "routes", "validate",
                resource("routes/good").toString());

        assertEquals(0, run.code(), run.toString());
        assertEquals("ok: 8 routes in 5 files", run.out().strip());
    }
}
