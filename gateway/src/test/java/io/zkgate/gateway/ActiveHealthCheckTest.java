package io.zkgate.gateway;

import static io.zkgate.gateway.support.ZkWriter.route;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.gateway.routing.ServicePool;
import io.zkgate.gateway.support.GatewayFixture;
import io.zkgate.gateway.support.Http;
import io.zkgate.gateway.support.TestBackend;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class ActiveHealthCheckTest {
    @Test
    void anInstanceFailingItsHealthCheckLeavesRoutingAndReturnsAndTooFewHealthyMeansPanic() throws Exception {
        try (GatewayFixture f = new GatewayFixture()) {
            TestBackend h1 = f.closeLater(TestBackend.start("h1"));
            TestBackend h2 = f.closeLater(TestBackend.start("h2"));
            TestBackend h3 = f.closeLater(TestBackend.start("h3"));
            for (TestBackend b : List.of(h1, h2, h3)) {
                f.writer.register("checked", b.name(), b.port(), 1);
            }
            f.writer.putRoute("checked", "{\"id\":\"checked\",\"match\":{\"pathPrefix\":\"/checked\"},"
                    + "\"service\":\"checked\",\"healthCheck\":{\"path\":\"/health\",\"intervalMs\":150,"
                    + "\"timeoutMs\":300,\"unhealthyThreshold\":2,\"healthyThreshold\":2}}");
            await().atMost(Duration.ofSeconds(10)).until(() -> routable(f).size() == 3);

            h1.health(503);
            await().atMost(Duration.ofSeconds(5)).until(() -> routable(f).equals(List.of("h2", "h3")));
            int before = h1.hits();
            for (int i = 0; i < 20; i++) {
                assertEquals(200, Http.get(f.port(), "/checked/x").statusCode());
            }
            assertEquals(before, h1.hits(), "an unhealthy instance gets no requests");
            assertTrue(Http.get(f.adminPort(), "/admin/services").body().contains("\"health\" : \"unhealthy\""));

            h2.health(500);
            await().atMost(Duration.ofSeconds(5)).until(() -> pool(f).panic());
            assertEquals(List.of("h1", "h2", "h3"), routable(f), "panic: one of three healthy, spread over all");

            h1.health(200);
            h2.health(200);
            await().atMost(Duration.ofSeconds(5)).until(() -> !pool(f).panic() && routable(f).size() == 3);
        }
    }

    private static ServicePool pool(GatewayFixture f) {
        return f.gateway.snapshots().current().services().get("checked");
    }

    private static List<String> routable(GatewayFixture f) {
        ServicePool p = pool(f);
        return p == null ? List.of() : Arrays.stream(p.routable()).map(e -> e.id()).sorted().toList();
    }
}
