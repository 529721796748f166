package io.zkgate.gateway.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.schema.Route;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MatchConditionsTest {

    private static Route route(List<Route.Condition> headers, List<Route.Condition> query,
            List<Route.Condition> cookies) {
        return new Route("r", new Route.Match(null, "/", Set.of(), headers, query, cookies), "s", false, null, null,
                null, null);
    }

    /**
     * The classic catastrophic pattern: a backtracking engine tries 2^30 ways to split thirty a's before failing on
     * the '!'. RE2/J fails in time linear in the input. The bound is generous (1 s) so the test never flakes on a busy
     * machine; the measured times are printed for the record.
     */
    @Test
    void theCatastrophicRegexFailsOnThirtyAsAndABangInLinearTime() {
        MatchConditions c = MatchConditions.of(route(
                List.of(new Route.Condition("X-A", null, "(a+)+$", null)), List.of(), List.of()));
        TestRequest evil = TestRequest.get("/").withHeader("X-A", "a".repeat(30) + "!");
        long first = System.nanoTime();
        assertFalse(c.test(evil));
        long firstNanos = System.nanoTime() - first;
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 1_000; i++) {
            long start = System.nanoTime();
            assertFalse(c.test(evil));
            best = Math.min(best, System.nanoTime() - start);
        }
        System.out.printf("(a+)+$ on 30 a's and '!': first call %.3f ms, best of 1000 %.4f ms%n",
                firstNanos / 1e6, best / 1e6);
        assertTrue(firstNanos < 1_000_000_000L, "took " + firstNanos / 1e6 + " ms");
        assertTrue(c.test(TestRequest.get("/").withHeader("X-A", "a".repeat(30))));
    }

    @Test
    void everyConditionMustHold() {
        MatchConditions c = MatchConditions.of(route(
                List.of(new Route.Condition("X-Env", "canary", null, null),
                        new Route.Condition("X-Debug", null, null, false)),
                List.of(new Route.Condition("v", null, "^[0-9]+$", null)),
                List.of(new Route.Condition("region", "eu", null, null))));
        TestRequest ok = TestRequest.get("/").withHeader("x-env", "canary").withQuery("v=12")
                .withHeader("Cookie", "region=eu");
        assertEquals(4, c.count());
        assertTrue(c.test(ok));
        assertFalse(c.test(ok.withHeader("X-Debug", "1")));
        assertFalse(c.test(ok.withQuery("v=1a")));
        assertFalse(c.test(TestRequest.get("/").withHeader("X-Env", "canary").withQuery("v=12")));
        assertFalse(c.test(null));
    }

    @Test
    void queryParametersAreReadRawWithAndWithoutValues() {
        assertEquals("", MatchConditions.queryParameter("a&beta&c=1", "beta"));
        assertEquals("", MatchConditions.queryParameter("beta&beta=1", "beta"), "the first, bare, one counts");
        assertEquals("", MatchConditions.queryParameter("beta=&c=1", "beta"));
        assertEquals("1", MatchConditions.queryParameter("a&beta&c=1", "c"));
        assertEquals("x%20y", MatchConditions.queryParameter("q=x%20y", "q"));
        assertNull(MatchConditions.queryParameter("betamax=1", "beta"));
        assertNull(MatchConditions.queryParameter(null, "beta"));
    }

    @Test
    void aRouteWithoutConditionsCompilesToNothing() {
        assertNull(MatchConditions.of(route(List.of(), List.of(), List.of())));
    }

    @Test
    void anUnchangedMatchReusesItsCompiledConditions() {
        Route r = route(List.of(new Route.Condition("X-Env", "canary", null, null)), List.of(), List.of());
        MatchConditions compiled = MatchConditions.of(r);
        assertTrue(compiled == MatchConditions.reuseOrCompile(compiled, route(r.match().headers(), List.of(),
                List.of())));
    }
}
