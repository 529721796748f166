package io.zkgate.schema.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.schema.RouteCodec;
import io.zkgate.schema.RouteFiles;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Two applies planned from the same route version: the one that commits second fails and writes nothing. */
class ConcurrentApplyTest extends ZkTestSupport {
    @BeforeEach
    void start() {
        assertEquals(0, ctl("init").code());
        write(dir, "base/shared.yaml", route("shared", "/shared", "shared"));
        assertEquals(0, ctl("routes", "apply", dir.resolve("base").toString()).code());
    }

    @Test
    void theSecondOfTwoPlansFromTheSameVersionFailsAndTheTreeHoldsTheFirst() throws Exception {
        write(dir, "one/shared.yaml", route("shared", "/shared", "shared-one"));
        write(dir, "one/only-one.yaml", route("only-one", "/one", "one"));
        write(dir, "two/shared.yaml", route("shared", "/shared", "shared-two"));
        write(dir, "two/only-two.yaml", route("only-two", "/two", "two"));
        RoutePlan one = plan(dir.resolve("one"));
        RoutePlan two = plan(dir.resolve("two"));
        assertEquals(one.routeVersion(), two.routeVersion());

        one.commit(observer);
        Map<String, String> afterFirst = routesInZk();
        Map<String, Integer> versionsAfterFirst = versionsInZk();
        CtlException e = assertThrows(CtlException.class, () -> two.commit(observer));

        assertEquals(ZkgateCtl.FAILED, e.exitCode());
        assertTrue(e.getMessage().startsWith("conflict: the route version changed"), e.getMessage());
        assertEquals(afterFirst, routesInZk());
        assertEquals(versionsAfterFirst, versionsInZk());
        assertEquals(Set.of("shared", "only-one"), afterFirst.keySet());
        assertEquals("shared-one", RouteCodec.parse("zk", afterFirst.get("shared").getBytes(), "shared").service());
    }

    @Test
    void disjointEditsFromTheSameVersionStillConflict() throws Exception {
        write(dir, "one/a.yaml", route("a", "/a", "a"));
        write(dir, "two/b.yaml", route("b", "/b", "b"));
        RoutePlan one = plan(dir.resolve("one"));
        RoutePlan two = plan(dir.resolve("two"));

        one.commit(observer);

        assertThrows(CtlException.class, () -> two.commit(observer));
        assertEquals(Set.of("shared", "a"), routesInZk().keySet());
    }

    @Test
    void aHandEditOfARouteThePlanReadFailsTheCommit() throws Exception {
        write(dir, "one/a.yaml", route("a", "/a", "a"));
        RoutePlan plan = plan(dir.resolve("one"));
        byte[] edited = RouteCodec.toJson(RouteFiles.read("x.yaml", route("shared", "/shared", "by-hand").getBytes())
                .routes().get(0).route());
        observer.setData().forPath(LAYOUT.routePath("shared"), edited);

        CtlException e = assertThrows(CtlException.class, () -> plan.commit(observer));

        assertTrue(e.getMessage().contains("route 'shared' changed in ZooKeeper"), e.getMessage());
        assertEquals(Set.of("shared"), routesInZk().keySet());
    }

    @Test
    void theCliApplyThatCommitsSecondExitsOneWithAMessage() throws Exception {
        Path first = write(dir, "first/shared.yaml", route("shared", "/shared", "first")).getParent();
        write(dir, "first/from-first.yaml", route("from-first", "/first", "first"));
        Path second = write(dir, "second/shared.yaml", route("shared", "/shared", "second")).getParent();
        write(dir, "second/from-second.yaml", route("from-second", "/second", "second"));
        AtomicReference<CtlRun> firstRun = new AtomicReference<>();

        // The second apply plans, then, before it commits, the first apply runs to the end.
        CtlRun secondRun = ctl(c -> c.beforeCommit(() -> firstRun.set(ctl("routes", "apply", first.toString()))),
                "routes", "apply", second.toString());

        assertEquals(0, firstRun.get().code(), firstRun.get().toString());
        assertEquals(1, secondRun.code(), secondRun.toString());
        assertTrue(secondRun.out().contains("~ changed shared"), secondRun.out());
        assertTrue(secondRun.err().contains("conflict: the route version changed in ZooKeeper since this apply read it"
                + " (route version was 1, now 2: another apply or delete got there first); nothing was written."),
                secondRun.err());
        Map<String, String> routes = routesInZk();
        assertEquals(Set.of("shared", "from-first"), routes.keySet());
        assertEquals("first", RouteCodec.parse("zk", routes.get("shared").getBytes(), "shared").service());
        assertEquals(2, versionsInZk().get(""));
    }

    private static RoutePlan plan(Path files) throws Exception {
        RouteFiles.Loaded loaded = RouteFiles.load(List.of(files));
        assertTrue(loaded.ok(), loaded.problems().toString());
        return RoutePlan.compute(observer, LAYOUT, loaded.routes(), false);
    }
}
