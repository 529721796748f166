package io.zkgate.schema.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.schema.Route;
import io.zkgate.schema.RouteCodec;
import io.zkgate.schema.Policy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RoutesApplyCommandTest extends ZkTestSupport {
    @BeforeEach
    void init() {
        assertEquals(0, ctl("init").code());
    }

    @Test
    void applyWritesEveryRouteOfTheGoodFixturesAndPrintsThemAsAdded() throws Exception {
        CtlRun run = ctl("routes", "apply", resource("routes/good").toString());

        assertEquals(0, run.code(), run.toString());
        assertEquals(Set.of("orders", "catalog", "catalog-admin", "users", "users-search", "billing", "static",
                "health"), routesInZk().keySet());
        assertTrue(run.out().contains("+ added   orders"), run.out());
        assertTrue(run.out().contains("    + lb.policy: \"consistent_hash\""), run.out());
        assertTrue(run.out().contains("8 to add, 0 to change, 0 to remove, 0 unchanged"), run.out());
        assertTrue(run.out().matches("(?s).*applied in one transaction: route version 0 -> 1, zxid \\d+\\n.*"),
                run.out());
        Route orders = RouteCodec.parse("zk", observer.getData().forPath(LAYOUT.routePath("orders")), "orders");
        assertEquals(Policy.CONSISTENT_HASH, orders.policy());
        assertEquals(Set.of("GET", "POST"), orders.match().methods());
    }

    @Test
    void applyingTheSameFilesAgainWritesNothing() throws Exception {
        assertEquals(0, ctl("routes", "apply", resource("routes/good").toString()).code());
        Map<String, Integer> before = versionsInZk();

        CtlRun again = ctl("routes", "apply", resource("routes/good").toString());

        assertEquals(0, again.code(), again.toString());
        assertTrue(again.out().contains("nothing to apply"), again.out());
        assertEquals(before, versionsInZk());
    }

    @Test
    void aChangedRouteShowsFieldLevelChangesAndOnlyItIsRewritten() throws Exception {
        write(dir, "a.yaml", route("a", "/a", "alpha") + "lb:\n  policy: round_robin\nretries:\n  attempts: 2\n");
        write(dir, "b.yaml", route("b", "/b", "beta"));
        assertEquals(0, ctl("routes", "apply", dir.toString()).code());
        Map<String, Integer> before = versionsInZk();
        write(dir, "a.yaml", route("a", "/a", "alpha")
                + "lb:\n  policy: consistent_hash\n  hashKey: header:X-User-Id\n");

        CtlRun run = ctl("routes", "apply", dir.toString());

        assertEquals(0, run.code(), run.toString());
        assertTrue(run.out().contains("~ changed a"), run.out());
        assertTrue(run.out().contains("    ~ lb.policy: \"round_robin\" -> \"consistent_hash\""), run.out());
        assertTrue(run.out().contains("    + lb.hashKey: \"header:X-User-Id\""), run.out());
        assertTrue(run.out().contains("    - retries.attempts: 2"), run.out());
        assertFalse(run.out().contains("changed b"), run.out());
        assertTrue(run.out().contains("0 to add, 1 to change, 0 to remove, 1 unchanged"), run.out());
        Map<String, Integer> after = versionsInZk();
        assertEquals(before.get("a") + 1, after.get("a"));
        assertEquals(before.get("b"), after.get("b"));
        assertEquals(before.get("") + 1, after.get(""));
        Route a = RouteCodec.parse("zk", observer.getData().forPath(LAYOUT.routePath("a")), "a");
        assertEquals("header:X-User-Id", a.lb().hashKey().toString());
        assertEquals(null, a.retries());
    }

    @Test
    void aDryRunPrintsTheDiffAndChangesNothing() throws Exception {
        write(dir, "a.yaml", route("a", "/a", "alpha"));
        write(dir, "gone.yaml", route("gone", "/gone", "gone"));
        assertEquals(0, ctl("routes", "apply", dir.toString()).code());
        Map<String, String> routesBefore = routesInZk();
        Map<String, Integer> versionsBefore = versionsInZk();
        int childVersion = observer.checkExists().forPath(LAYOUT.routesPath()).getCversion();
        write(dir, "a.yaml", route("a", "/a", "changed-service"));
        write(dir, "new.yaml", route("new", "/new", "new"));
        java.nio.file.Files.delete(dir.resolve("gone.yaml"));

        CtlRun run = ctl("routes", "apply", "--dry-run", "--prune", dir.toString());

        assertEquals(0, run.code(), run.toString());
        assertTrue(run.out().contains("+ added   new"), run.out());
        assertTrue(run.out().contains("    ~ service: \"alpha\" -> \"changed-service\""), run.out());
        assertTrue(run.out().contains("- removed gone"), run.out());
        assertTrue(run.out().contains("dry run: nothing was written"), run.out());
        assertEquals(routesBefore, routesInZk());
        assertEquals(versionsBefore, versionsInZk());
        assertEquals(childVersion, observer.checkExists().forPath(LAYOUT.routesPath()).getCversion());
    }

    @Test
    void pruneRemovesOnlyTheRoutesTheFilesNoLongerHold() throws Exception {
        write(dir, "keep.yaml", route("keep", "/keep", "keep"));
        write(dir, "drop.yaml", route("drop", "/drop", "drop"));
        write(dir, "also.yaml", route("also", "/also", "also"));
        assertEquals(0, ctl("routes", "apply", dir.toString()).code());
        Map<String, Integer> before = versionsInZk();
        java.nio.file.Files.delete(dir.resolve("drop.yaml"));

        CtlRun run = ctl("routes", "apply", "--prune", dir.toString());

        assertEquals(0, run.code(), run.toString());
        assertTrue(run.out().contains("- removed drop"), run.out());
        assertTrue(run.out().contains("0 to add, 0 to change, 1 to remove, 2 unchanged"), run.out());
        assertEquals(Set.of("keep", "also"), routesInZk().keySet());
        Map<String, Integer> after = versionsInZk();
        assertEquals(before.get("keep"), after.get("keep"));
        assertEquals(before.get("also"), after.get("also"));
    }

    @Test
    void withoutPruneRoutesMissingFromTheFilesAreKeptAndNamed() throws Exception {
        write(dir, "keep.yaml", route("keep", "/keep", "keep"));
        write(dir, "other.yaml", route("other", "/other", "other"));
        assertEquals(0, ctl("routes", "apply", dir.toString()).code());
        java.nio.file.Files.delete(dir.resolve("other.yaml"));
        write(dir, "keep.yaml", route("keep", "/keep", "keep2"));

        CtlRun run = ctl("routes", "apply", dir.toString());

        assertEquals(0, run.code(), run.toString());
        assertTrue(run.out().contains("kept (--prune removes them): other"), run.out());
        assertEquals(Set.of("keep", "other"), routesInZk().keySet());
    }

    @Test
    void aRouteWhoseMatchClashesWithOneKeptInZooKeeperIsRefused() throws Exception {
        write(dir, "first.yaml", route("first", "/same", "first"));
        assertEquals(0, ctl("routes", "apply", dir.toString()).code());
        Path other = write(dir.resolve("other"), "second.yaml", route("second", "/same", "second"));
        Map<String, Integer> before = versionsInZk();

        CtlRun run = ctl("routes", "apply", other.toString());

        assertEquals(1, run.code(), run.toString());
        assertTrue(run.err().contains("second.yaml:1 (route 'second'): match: duplicate match"), run.err());
        assertTrue(run.err().contains("nothing was written"), run.err());
        assertEquals(before, versionsInZk());
    }

    @Test
    void malformedFilesWriteNothing() throws Exception {
        write(dir, "good.yaml", route("good", "/good", "good"));
        write(dir, "bad.yaml", route("bad", "/bad", "bad") + "lb:\n  policy: fastest\n");

        CtlRun run = ctl("routes", "apply", dir.toString());

        assertEquals(1, run.code(), run.toString());
        assertTrue(run.err().contains("bad.yaml:6 (route 'bad'): lb.policy: unknown policy 'fastest'"), run.err());
        assertTrue(observer.getChildren().forPath(LAYOUT.routesPath()).isEmpty());
    }

    @Test
    void aRouteNamingAScriptThatIsNotStoredIsRefused() throws Exception {
        write(dir, "s.yaml", route("s", "/s", "s") + "script: auth\n");

        CtlRun refused = ctl("routes", "apply", dir.toString());
        assertEquals(1, refused.code(), refused.toString());
        assertTrue(refused.err().contains("script: 'auth' is not in ZooKeeper"), refused.err());
        assertTrue(observer.getChildren().forPath(LAYOUT.routesPath()).isEmpty());

        assertEquals(0, ctl("scripts", "put", "auth", resource("scripts/auth.lua").toString()).code());
        CtlRun accepted = ctl("routes", "apply", dir.toString());
        assertEquals(0, accepted.code(), accepted.toString());
        assertEquals(Set.of("s"), routesInZk().keySet());
    }

    @Test
    void anInvalidRouteZnodeIsRepairedByApply() throws Exception {
        observer.create().forPath(LAYOUT.routePath("hand"),
                "{\"id\":\"hand\",\"match\":{\"pathPrefix\":\"/hand\"},\"service\":\"hand\",\"lb\":{\"policy\":\"x\"}}"
                        .getBytes(StandardCharsets.UTF_8));
        write(dir, "hand.yaml", route("hand", "/hand", "hand"));

        CtlRun run = ctl("routes", "apply", dir.toString());

        assertEquals(0, run.code(), run.toString());
        assertTrue(run.out().contains("~ changed hand"), run.out());
        assertTrue(run.out().contains("invalid in ZooKeeper: lb.policy: unknown policy 'x'"), run.out());
        assertEquals("hand", RouteCodec.parse("zk", observer.getData().forPath(LAYOUT.routePath("hand")), "hand").id());
    }

    @Test
    void applyOnAnEnsembleNoOneInitialisedCreatesTheRoutesRoot() throws Exception {
        observer.delete().deletingChildrenIfNeeded().forPath(LAYOUT.zkgateRoot());
        write(dir, "a.yaml", route("a", "/a", "a"));

        CtlRun run = ctl("routes", "apply", dir.toString());

        assertEquals(0, run.code(), run.toString());
        assertEquals(Set.of("a"), routesInZk().keySet());
    }

    @Test
    void applyWarnsButWritesWhenARouteNamesAServiceWithNoRegisteredInstance() throws Exception {
        observer.create().creatingParentsIfNeeded().forPath(LAYOUT.servicePath("orders") + "/i1",
                "{\"address\":\"127.0.0.1\",\"port\":1}".getBytes(StandardCharsets.UTF_8));
        write(dir, "orders.yaml", route("orders", "/orders", "orders"));
        write(dir, "users.yaml", route("users", "/users", "usres"));

        CtlRun run = ctl("routes", "apply", dir.toString());

        assertEquals(0, run.code(), run.toString());
        assertTrue(run.err().contains("warning: route 'users' (" + dir.resolve("users.yaml") + ":1 (route 'users')): "
                + "service 'usres' has no registered instance under /services/usres"), run.err());
        assertFalse(run.err().contains("route 'orders'"), run.err());
        assertEquals(Set.of("orders", "users"), routesInZk().keySet());
    }
}
