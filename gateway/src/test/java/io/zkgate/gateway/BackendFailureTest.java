package io.zkgate.gateway;

import static io.zkgate.gateway.support.ZkWriter.route;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.gateway.balancer.Endpoint;
import io.zkgate.gateway.metrics.MetricNames;
import io.zkgate.gateway.support.GatewayFixture;
import io.zkgate.gateway.support.Http;
import io.zkgate.gateway.support.LoadClient;
import io.zkgate.gateway.support.LogCapture;
import io.zkgate.gateway.support.ScriptedBackend;
import io.zkgate.gateway.support.ScriptedBackend.Reply;
import io.zkgate.gateway.support.TestBackend;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Backends that die, hang or fail under real load: retries, ejection and the retry budget. */
class BackendFailureTest {
    @Test
    void aBackendKilledWithoutDeregisteringCostsNoGetIsEjectedWithinASecondAndReadmittedWhenBack() throws Exception {
        try (GatewayFixture f = new GatewayFixture("--outlier-base-ejection-ms", "2000")) {
            TestBackend a = TestBackend.start("kill-a");
            TestBackend b = f.closeLater(TestBackend.start("kill-b"));
            int portA = a.port();
            f.writer.register("kill", "a", portA, 1);
            f.writer.register("kill", "b", b.port(), 1);
            f.writer.putRoute("kill", route("kill", "/kill", "kill"));
            f.awaitRoutable("kill", 2);

            TestBackend again;
            try (LoadClient gets = new LoadClient(f.port(), "/kill/x", "GET", 6, 2, Duration.ofSeconds(60));
                    LoadClient posts = new LoadClient(f.port(), "/kill/y", "POST", 2, 2, Duration.ofSeconds(60))) {
                Thread.sleep(1000);
                a.close();
                long killed = System.nanoTime();
                await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(10))
                        .until(() -> endpoint(f, "kill", "a").health().inEjection());
                long ejectedAfterMs = (System.nanoTime() - killed) / 1_000_000;
                Thread.sleep(1000);
                again = f.closeLater(TestBackend.onPort("kill-a-again", portA));
                await().atMost(Duration.ofSeconds(15)).until(() -> again.hits() > 20);
                assertTrue(ejectedAfterMs <= 1000, "ejected " + ejectedAfterMs + " ms after the kill");
                long okGets = gets.ok();
                gets.close();
                posts.close();
                assertEquals(Map.of(), gets.failures(), "no GET fails: they are retried on the other backend");
                // A POST is never resent once its head went out: each of the two POST threads may lose the one it
                // had in flight at the kill, and one more that took a pooled connection the dead backend had closed
                // before the event loop saw the close (it cannot know the backend did not take it).
                assertTrue(posts.failureCount() <= 4, "only POSTs under way at the kill may fail: " + posts.failures());
                assertTrue(okGets > 500 && posts.ok() > 100, okGets + " GETs, " + posts.ok() + " POSTs");
            }
            assertTrue(!endpoint(f, "kill", "a").health().inEjection(), "re-admitted");
        }
    }

    /**
     * A backend shutting down answers 503 and closes before its body is done (Jetty does, stopping under load): the
     * gateway had chosen to retry a GET on the other backend and was reading the 503 away, and the close must not
     * turn that into a 502. A 503 to a POST is not retried: the client gets it.
     */
    @Test
    void aGetWhose503IsCutWhileReadAwayForItsRetryStillGoesToTheOtherBackend() throws Exception {
        try (GatewayFixture f = new GatewayFixture("--outlier-consecutive-failures", "0")) {
            ScriptedBackend stopping = f.closeLater(ScriptedBackend.start(r -> Reply.thenClose(
                    "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 100\r\n\r\nshutting down")));
            ScriptedBackend fine = f.closeLater(ScriptedBackend.start(
                    r -> Reply.keepAlive("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")));
            f.writer.register("stop", "stopping", stopping.port(), 1);
            f.writer.register("stop", "fine", fine.port(), 1);
            f.writer.putRoute("stop", route("stop", "/stop", "stop"));
            f.awaitRoutable("stop", 2);

            for (int i = 0; i < 6; i++) {
                HttpResponse<String> r = Http.get(f.port(), "/stop/" + i);
                assertEquals(200, r.statusCode(), r.body());
                assertEquals("ok", r.body());
            }
            assertTrue(stopping.received().size() >= 2, "round robin sent GETs to the stopping backend too");
        }
    }

    @Test
    void aBackendThatNeverAnswersTimesOutAtTheRouteTimeoutIsEjectedAndThenAvoided() throws Exception {
        try (GatewayFixture f = new GatewayFixture("--outlier-base-ejection-ms", "30000")) {
            TestBackend hung = f.closeLater(TestBackend.stalling("hung"));
            TestBackend fine = f.closeLater(TestBackend.start("fine"));
            f.writer.register("hang", "hung", hung.port(), 1);
            f.writer.register("hang", "fine", fine.port(), 1);
            f.writer.putRoute("hang", "{\"id\":\"hang\",\"match\":{\"pathPrefix\":\"/hang\"},\"service\":\"hang\","
                    + "\"timeouts\":{\"responseMs\":400},\"retries\":{\"attempts\":0}}");
            f.awaitRoutable("hang", 2);

            int timeouts = 0;
            for (int i = 0; i < 12 && !endpoint(f, "hang", "hung").health().inEjection(); i++) {
                long t0 = System.nanoTime();
                HttpResponse<String> r = Http.get(f.port(), "/hang/x");
                long ms = (System.nanoTime() - t0) / 1_000_000;
                if (r.statusCode() == 504) {
                    timeouts++;
                    assertTrue(ms >= 350 && ms < 3000, "timed out after " + ms + " ms, configured 400");
                    assertTrue(r.body().contains("\"error\":\"upstream_timeout\""), r.body());
                } else {
                    assertEquals("fine", Http.backendOf(r));
                }
            }
            assertEquals(5, timeouts, "ejected after 5 consecutive timeouts");
            f.awaitRoutable("hang", 1);
            for (int i = 0; i < 20; i++) {
                assertEquals("fine", Http.backendOf(Http.get(f.port(), "/hang/x")), "the hung backend is avoided");
            }
            assertTrue(Http.get(f.adminPort(), "/admin/services").body().contains("\"ejected\" : true"));
            String metrics = Http.get(f.adminPort(), "/metrics").body();
            String labels = "{service=\"hang\",backend=\"127.0.0.1:";
            assertEquals(1.0, Http.sample(metrics, "zkgate_backend_ejections_total" + labels + hung.port() + "\"}"));
            assertEquals(1.0, Http.sample(metrics, "zkgate_backend_ejected" + labels + hung.port() + "\"}"));
            assertEquals(0.0, Http.sample(metrics, "zkgate_backend_ejections_total" + labels + fine.port() + "\"}"));
        }
    }

    @Test
    void retriesStayWithinTheBudgetWhenOneOfTwoBackendsFailsEveryRequest() throws Exception {
        try (GatewayFixture f = new GatewayFixture("--outlier-consecutive-failures", "0", "--retry-budget-percent", "20",
                "--retry-budget-min", "5")) {
            TestBackend failing = f.closeLater(TestBackend.answering("failing", 503));
            TestBackend fine = f.closeLater(TestBackend.start("fine"));
            f.writer.register("budget", "failing", failing.port(), 1);
            f.writer.register("budget", "fine", fine.port(), 1);
            f.writer.putRoute("budget", "{\"id\":\"budget\",\"match\":{\"pathPrefix\":\"/budget\"},\"service\":\"budget\","
                    + "\"retries\":{\"attempts\":1}}");
            f.awaitRoutable("budget", 2);

            int requests = 400;
            int ok = 0;
            for (int i = 0; i < requests; i++) {
                int status = Http.get(f.port(), "/budget/x").statusCode();
                if (status == 200) {
                    ok++;
                } else {
                    assertEquals(503, status, "the failing backend's answer is forwarded when no retry is allowed");
                }
            }
            long retries = f.gateway.metrics().registry()
                    .counter(MetricNames.tagged("zkgate_retries_total", "route", "budget")).getCount();
            long denied = f.gateway.metrics().registry()
                    .counter(MetricNames.tagged("zkgate_retries_denied_total", "route", "budget")).getCount();
            assertTrue(retries <= 0.2 * requests + 5, retries + " retries for " + requests + " requests");
            assertTrue(retries >= 0.15 * requests, "the budget was used: " + retries);
            assertTrue(denied > 0, "some retries were refused");
            assertEquals(ok, fine.hits(), "every success came from the good backend");
            assertEquals(requests + retries - ok, failing.hits(), "the failing backend saw every other attempt");
            assertTrue(ok >= retries, "every retry succeeded on the good backend");
        }
    }

    @Test
    void noMoreThanTheMaxEjectionPercentAreEjectedAndTheCapIsLoggedOncePerFailureStreak() throws Exception {
        try (LogCapture logged = new LogCapture("io.zkgate.gateway.control");
                GatewayFixture f = new GatewayFixture("--outlier-consecutive-failures", "2",
                "--outlier-max-ejection-percent", "50", "--outlier-base-ejection-ms", "60000")) {
            TestBackend x = f.closeLater(TestBackend.answering("cap-x", 503));
            TestBackend y = f.closeLater(TestBackend.answering("cap-y", 503));
            f.writer.register("cap", "x", x.port(), 1);
            f.writer.register("cap", "y", y.port(), 1);
            f.writer.putRoute("cap", "{\"id\":\"cap\",\"match\":{\"pathPrefix\":\"/cap\"},\"service\":\"cap\","
                    + "\"retries\":{\"attempts\":0}}");
            f.awaitRoutable("cap", 2);
            for (int i = 0; i < 60; i++) {
                assertEquals(503, Http.get(f.port(), "/cap/").statusCode());
            }
            f.awaitRoutable("cap", 1);
            int ejected = 0;
            for (String id : new String[] {"x", "y"}) {
                ejected += endpoint(f, "cap", id).health().inEjection() ? 1 : 0;
            }
            assertEquals(1, ejected, "one of two is 50 %: the other stays in although it fails too");
            long capLines = logged.messages().stream().filter(m -> m.contains("keeps failing but is not ejected"))
                    .count();
            assertEquals(1, capLines, "the cap is logged once for the streak, not per ejection request");
        }
    }

    private static Endpoint endpoint(GatewayFixture f, String service, String id) {
        return f.gateway.snapshots().current().services().get(service).all().stream()
                .filter(e -> e.id().equals(id)).findFirst().orElseThrow();
    }
}
