package io.zkgate.gateway.control;

import static io.zkgate.gateway.control.Znodes.instance;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.gateway.balancer.Endpoint;
import io.zkgate.gateway.routing.ServicePool;
import io.zkgate.schema.ZnodeLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ServiceRegistryTest {
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
    private final List<String> wakeups = new ArrayList<>();
    private final OutlierEjector ejector = new OutlierEjector(OutlierSettings.defaults());
    private final ServiceRegistry services = new ServiceRegistry(ZnodeLayout.defaults(), 500, ejector,
            (delayMs, service) -> wakeups.add(service + " after " + delayMs));

    @Test
    void aPoolHoldsEveryInstanceSortedAndOnlyRoutableOnesTakeRequests() {
        services.put("/services/svc/b", instance("b", 9002, 1));
        services.put("/services/svc/a", instance("a", 9001, 2));
        services.put("/services/svc/drained", instance("drained", 9003, 0));
        services.put("/services/svc/off", ("{\"address\":\"127.0.0.1\",\"port\":9004,\"enabled\":false}")
                .getBytes(StandardCharsets.UTF_8));

        ServicePool pool = services.build("svc", 0);
        assertEquals(List.of("a", "b", "drained", "off"), pool.all().stream().map(Endpoint::id).toList());
        assertEquals(List.of("a", "b"), ids(pool.routable()));
        assertEquals(2, pool.routable()[0].weight());
        assertFalse(pool.panic());
    }

    @Test
    void aRebuiltPoolKeepsTheSameEndpointOfAnUnchangedBackendSoItsCountsAndHealthCarryOn() {
        services.put("/services/svc/a", instance("a", 9001, 1));
        Endpoint first = services.build("svc", 0).routable()[0];

        services.put("/services/svc/b", instance("b", 9002, 1));
        assertSame(first, services.build("svc", 0).routable()[0]);

        services.put("/services/svc/a", instance("a", 9001, 5));
        Endpoint reweighted = services.build("svc", 0).routable()[0];
        assertEquals(5, reweighted.weight());
        assertSame(first.health(), reweighted.health(), "a new weight keeps the backend's health");

        services.put("/services/svc/a", instance("a", 9009, 5));
        Endpoint moved = services.build("svc", 0).routable()[0];
        assertNotSame(first.health(), moved.health(), "another port is another backend");
    }

    @Test
    void aServiceThatLosesItsLastInstanceKeepsItsPreviousPoolForTheGracePeriod() {
        services.put("/services/svc/a", instance("a", 9001, 1));
        ServicePool before = services.build("svc", 0);

        services.remove("/services/svc/a", 10 * MS);
        assertEquals(List.of("svc after 501"), wakeups);
        assertSame(before, services.build("svc", 509 * MS), "still inside the grace");
        assertNull(services.build("svc", 511 * MS), "grace over: the service is gone");
    }

    @Test
    void theGraceRunsFromTheLossOfTheLastRoutableInstanceNotFromLaterRemovals() {
        services.put("/services/svc/a", instance("a", 9001, 1));
        services.put("/services/svc/drained", instance("drained", 9002, 0));
        ServicePool before = services.build("svc", 0);

        services.remove("/services/svc/a", 10 * MS);
        services.remove("/services/svc/drained", 300 * MS); // before the next build, as when a session's nodes go
        assertEquals(List.of("svc after 501"), wakeups, "one grace, one wake-up");
        assertSame(before, services.build("svc", 509 * MS), "still inside the grace");
        assertNull(services.build("svc", 511 * MS), "the grace ends 500 ms after the loss, not after the last removal");
    }

    @Test
    void aServiceReRegisteringWithinTheGraceServesItsNewInstanceAtOnce() {
        services.put("/services/svc/a", instance("a", 9001, 1));
        services.build("svc", 0);
        services.remove("/services/svc/a", 0);
        services.put("/services/svc/a2", instance("a2", 9002, 1));

        assertEquals(List.of("a2"), ids(services.build("svc", MS).routable()));
    }

    @Test
    void anUnreadableInstanceIsSkippedAndNeverEmptiesItsService() {
        services.put("/services/svc/a", instance("a", 9001, 1));
        services.drainChanged();
        services.put("/services/svc/a", "{\"address\":\"127.0.0.1\"}".getBytes(StandardCharsets.UTF_8));
        services.put("/services/svc/bad", "not json".getBytes(StandardCharsets.UTF_8));

        assertTrue(services.drainChanged().isEmpty(), "nothing changed");
        ServicePool pool = services.build("svc", 0);
        assertEquals(List.of("a"), ids(pool.routable()));
        assertEquals(9001, pool.routable()[0].port(), "the previous data of 'a' is kept");
    }

    @Test
    void onlyServicesWithAChangeAreReportedAsChanged() {
        services.put("/services/one/a", instance("a", 9001, 1));
        services.put("/services/two/a", instance("a", 9002, 1));
        assertEquals(Set.of("one", "two"), services.drainChanged());

        services.put("/services/two/a", instance("a", 9002, 1));
        services.put("/services/not-an-instance", instance("x", 9003, 1));
        assertTrue(services.drainChanged().isEmpty(), "the same data again, or no instance path");

        services.remove("/services/one/a", 0);
        assertEquals(Set.of("one"), services.drainChanged());
    }

    @Test
    void instancesTheWatchNoLongerSeesAreRemovedAfterABatchedReadAndTheOthersStay() {
        services.put("/services/one/a", instance("a", 9001, 1));
        services.put("/services/one/b", instance("b", 9002, 1));
        services.put("/services/two/a", instance("a", 9003, 1));
        services.build("one", 0);
        services.build("two", 0);
        services.drainChanged();

        services.retainOnly(path -> !path.equals("/services/one/b"), 0);

        assertEquals(Set.of("one"), services.drainChanged());
        assertEquals(List.of("a"), ids(services.build("one", 0).routable()));
        assertEquals(List.of("a"), ids(services.build("two", 0).routable()));
    }

    @Test
    void whenTooFewBackendsAreHealthyThePoolSpreadsOverEveryEligibleOneUntilEnoughRecover() {
        for (String id : List.of("a", "b", "c")) {
            services.put("/services/svc/" + id, instance(id, 9000 + id.charAt(0), 1));
        }
        Endpoint[] all = services.build("svc", 0).routable();
        all[0].health().activelyHealthy(false);
        ServicePool one = services.build("svc", 0);
        assertEquals(List.of("b", "c"), ids(one.routable()));
        assertFalse(one.panic());

        all[1].health().activelyHealthy(false);
        ServicePool panic = services.build("svc", 0);
        assertTrue(panic.panic(), "1 of 3 healthy is under 50%");
        assertEquals(List.of("a", "b", "c"), ids(panic.routable()));

        all[0].health().activelyHealthy(true);
        assertEquals(List.of("a", "c"), ids(services.build("svc", 0).routable()));
    }

    @Test
    void anEjectedBackendLeavesThePoolUntilItsEjectionIsOver() {
        for (String id : List.of("a", "b", "c")) {
            services.put("/services/svc/" + id, instance(id, 9000 + id.charAt(0), 1));
        }
        ServicePool pool = services.build("svc", 0);
        long ms = ejector.eject(pool.routable()[0], pool, 0);

        assertEquals(List.of("b", "c"), ids(services.build("svc", MS).routable()));
        assertEquals(List.of("a", "b", "c"), ids(services.build("svc", (ms + 1) * MS).routable()));
        assertFalse(pool.routable()[0].health().inEjection(), "re-admitted");
    }

    private static List<String> ids(Endpoint[] endpoints) {
        return Arrays.stream(endpoints).map(Endpoint::id).toList();
    }
}
