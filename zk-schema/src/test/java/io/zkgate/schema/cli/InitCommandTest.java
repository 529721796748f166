package io.zkgate.schema.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.List;
import java.util.Set;
import org.apache.zookeeper.ZooDefs;
import org.junit.jupiter.api.Test;

class InitCommandTest extends ZkTestSupport {
    private static final List<String> TREE = List.of("/zkgate", "/zkgate/routes", "/zkgate/scripts",
            "/zkgate/gateways", "/services");

    @Test
    void initCreatesTheWholeTreeOpenWithoutAcl() throws Exception {
        CtlRun run = ctl("init");

        assertEquals(0, run.code(), run.toString());
        for (String path : TREE) {
            assertTrue(run.out().contains("created " + path), run.out());
            assertEquals(ZooDefs.Ids.OPEN_ACL_UNSAFE, observer.getACL().forPath(path), path);
        }
    }

    @Test
    void initAgainChangesNothingAndKeepsTheRoutes() throws Exception {
        assertEquals(0, ctl("init").code());
        write(dir, "a.yaml", route("a", "/a", "a"));
        assertEquals(0, ctl("routes", "apply", dir.toString()).code());
        var before = versionsInZk();

        CtlRun again = ctl("init");

        assertEquals(0, again.code(), again.toString());
        assertTrue(again.out().contains("exists  /zkgate/routes"), again.out());
        assertEquals(before, versionsInZk());
        assertEquals(Set.of("a"), routesInZk().keySet());
    }

    @Test
    void anEmptyDirectoryIsRefusedSoThatPruneCannotEmptyTheRoutes() throws Exception {
        assertEquals(0, ctl("init").code());
        write(dir, "a.yaml", route("a", "/a", "a"));
        assertEquals(0, ctl("routes", "apply", dir.toString()).code());
        Files.delete(dir.resolve("a.yaml"));

        CtlRun run = ctl("routes", "apply", "--prune", dir.toString());

        assertEquals(1, run.code(), run.toString());
        assertTrue(run.err().contains(dir + ": (document): no route files in this directory"), run.err());
        assertEquals(Set.of("a"), routesInZk().keySet());
    }
}
