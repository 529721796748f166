package io.zkgate.gateway;

import static io.zkgate.gateway.support.Http.backendOf;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.gateway.balancer.Balancer;
import io.zkgate.gateway.balancer.Endpoint;
import io.zkgate.gateway.routing.RouteEntry;
import io.zkgate.gateway.support.GatewayFixture;
import io.zkgate.gateway.support.Http;
import io.zkgate.gateway.support.RefusedPort;
import io.zkgate.gateway.support.StreamingBackend;
import io.zkgate.gateway.support.TestBackend;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every balancing policy through the real proxy: real ZooKeeper, gateway, Jetty backends and HTTP client. Each test
 * uses its own services and routes on the shared gateway.
 */
class BalancingEndToEndTest {
    private static final Duration READY = Duration.ofSeconds(10);
    @AutoClose
    private static GatewayFixture f;

    @BeforeAll
    static void start() throws Exception {
        f = GatewayFixture.synced();
    }

    @Test
    void roundRobinCyclesThroughTheBackendsInIdOrderAndAWeightZeroBackendGetsNothing() throws Exception {
        TestBackend drained = backends("rr", 1, 1, 1, 0);
        serve("rr", "/rr", "{\"policy\":\"round_robin\"}", null, 3);

        List<String> seq = hits("/rr/x", 30);
        Map<String, String> next = Map.of("rr-a", "rr-b", "rr-b", "rr-c", "rr-c", "rr-a");
        for (int i = 1; i < seq.size(); i++) {
            assertEquals(next.get(seq.get(i - 1)), seq.get(i), "order " + seq);
        }
        assertEquals(0, drained.hits(), "weight 0 is drained");
    }

    @Test
    void weightedRoundRobinServesWeights511InNginxSmoothOrderAndAWeightZeroBackendGetsNothing() throws Exception {
        TestBackend drained = backends("wrr", 5, 1, 1, 0);
        serve("wrr", "/wrr", "{\"policy\":\"weighted_round_robin\"}", null, 3);

        List<String> seq = hits("/wrr/x", 70);
        List<String> period = List.of("wrr-a", "wrr-a", "wrr-b", "wrr-a", "wrr-c", "wrr-a", "wrr-a");
        int offset = -1;
        for (int k = 0; k < period.size() && offset < 0; k++) {
            boolean match = true;
            for (int i = 0; i < seq.size() && match; i++) {
                match = seq.get(i).equals(period.get((i + k) % period.size()));
            }
            if (match) {
                offset = k;
            }
        }
        assertTrue(offset >= 0, "not a rotation of a,a,b,a,c,a,a: " + seq);
        Map<String, Integer> counts = count(seq);
        assertEquals(Map.of("wrr-a", 50, "wrr-b", 10, "wrr-c", 10), counts);
        assertEquals(0, drained.hits(), "weight 0 is drained");
    }

    @Test
    void consistentHashSendsTheSameUserIdToTheSameBackendAndKeepsThemThereWhenAnotherBackendLeaves() throws Exception {
        TestBackend drained = backends("ch", 1, 1, 1, 1, 0);
        serve("ch", "/ch", "{\"policy\":\"consistent_hash\",\"hashKey\":\"header:X-User-Id\"}", null, 4);

        Map<String, String> home = new HashMap<>();
        for (int u = 0; u < 40; u++) {
            String user = "user-" + u;
            String first = backendOf(Http.get(f.port(), "/ch/x", "X-User-Id", user));
            for (int r = 0; r < 3; r++) {
                assertEquals(first, backendOf(Http.get(f.port(), "/ch/y" + r, "X-User-Id", user)), user);
            }
            home.put(user, first);
        }
        assertTrue(new HashSet<>(home.values()).size() >= 3, "users spread: " + count(new ArrayList<>(home.values())));
        assertEquals(0, drained.hits(), "weight 0 is drained");

        f.writer.deregister("ch", "b");
        f.awaitRoutable("ch", 3);
        for (Map.Entry<String, String> e : home.entrySet()) {
            String now = backendOf(Http.get(f.port(), "/ch/x", "X-User-Id", e.getKey()));
            if (!e.getValue().equals("ch-b")) {
                assertEquals(e.getValue(), now, e.getKey() + " stays on its surviving backend");
            } else {
                assertTrue(Set.of("ch-a", "ch-c", "ch-d").contains(now), e.getKey() + " moved to " + now);
            }
        }
    }

    @Test
    void aConsistentHashRequestWithoutItsKeyIsRoundRobinedOverEveryBackendButADrainedOne() throws Exception {
        TestBackend drained = backends("chnk", 1, 1, 1, 1, 0);
        serve("chnk", "/chnk", "{\"policy\":\"consistent_hash\",\"hashKey\":\"header:X-User-Id\"}", null, 4);

        Set<String> withoutKey = new HashSet<>(hits("/chnk/x", 8));
        assertEquals(Set.of("chnk-a", "chnk-b", "chnk-c", "chnk-d"), withoutKey, "no key: round-robin over all");
        assertEquals(0, drained.hits(), "weight 0 is drained");
    }

    @Test
    void consistentHashReadsCookieQueryClientIpAndPathKeys() throws Exception {
        backends("key", 1, 1, 1, 1);
        serve("key-cookie", "/key-cookie", "{\"policy\":\"consistent_hash\",\"hashKey\":\"cookie:session\"}", "key", 4);
        serve("key-query", "/key-query", "{\"policy\":\"consistent_hash\",\"hashKey\":\"query:user\"}", "key", 4);
        serve("key-ip", "/key-ip", "{\"policy\":\"consistent_hash\",\"hashKey\":\"client_ip\"}", "key", 4);
        serve("key-path", "/key-path", "{\"policy\":\"consistent_hash\",\"hashKey\":\"path\"}", "key", 4);

        Set<String> cookieHomes = new HashSet<>();
        Set<String> queryHomes = new HashSet<>();
        Set<String> pathHomes = new HashSet<>();
        for (int i = 0; i < 24; i++) {
            String cookie = "theme=dark; session=s" + i + "; lang=en";
            String c = backendOf(Http.get(f.port(), "/key-cookie/a", "Cookie", cookie));
            assertEquals(c, backendOf(Http.get(f.port(), "/key-cookie/b", "Cookie", "session=s" + i)), "cookie " + i);
            cookieHomes.add(c);

            String q = backendOf(Http.get(f.port(), "/key-query/a?x=1&user=u" + i));
            assertEquals(q, backendOf(Http.get(f.port(), "/key-query/b?user=u" + i + "&y=2")), "query " + i);
            queryHomes.add(q);

            String p = backendOf(Http.get(f.port(), "/key-path/p" + i));
            assertEquals(p, backendOf(Http.get(f.port(), "/key-path/p" + i)), "path " + i);
            pathHomes.add(p);
        }
        assertTrue(cookieHomes.size() >= 2 && queryHomes.size() >= 2 && pathHomes.size() >= 2,
                cookieHomes + " " + queryHomes + " " + pathHomes);

        Set<String> ipHomes = new HashSet<>(hits("/key-ip/x", 12));
        assertEquals(1, ipHomes.size(), "one client address, one backend: " + ipHomes);
    }

    @Test
    void randomSpreadsRequestsByWeightAndAWeightZeroBackendGetsNothing() throws Exception {
        TestBackend drained = backends("rnd", 3, 1, 0);
        serve("rnd", "/rnd", "{\"policy\":\"random\"}", null, 2);

        Map<String, Integer> counts = count(hits("/rnd/x", 400));
        double heavy = counts.getOrDefault("rnd-a", 0) / 400.0;
        assertTrue(heavy > 0.6 && heavy < 0.9, "weight 3 of 4 took " + counts);
        assertTrue(counts.getOrDefault("rnd-b", 0) > 0, counts.toString());
        assertEquals(0, drained.hits(), "weight 0 is drained");
    }

    @Test
    void leastRequestSendsNothingToABackendWithARequestStuckUntilItCompletes() throws Exception {
        TestBackend stall = f.closeLater(TestBackend.stalling("lr-stall"));
        TestBackend fast = f.closeLater(TestBackend.start("lr-fast"));
        TestBackend drained = f.closeLater(TestBackend.start("lr-drained"));
        f.writer.register("lr", "a", stall.port(), 1);
        f.writer.register("lr", "b", fast.port(), 1);
        f.writer.register("lr", "z", drained.port(), 0);
        serve("lr", "/lr", "{\"policy\":\"least_request\"}", null, 2, ",\"timeouts\":{\"responseMs\":4000}");

        // Both idle: the first request goes either way. Send until one is stuck in the stalling backend.
        List<CompletableFuture<HttpResponse<String>>> pending = new ArrayList<>();
        await().atMost(READY).until(() -> {
            if (stall.hits() == 0) {
                pending.add(Http.getAsync(f.port(), "/lr/x"));
                Thread.sleep(200);
            }
            return stall.hits() > 0;
        });
        Endpoint stuck = endpoint("lr", "a");
        int stuckCount = stall.hits();
        assertEquals(stuckCount, stuck.inFlight());
        for (String b : hits("/lr/x", 20)) {
            assertEquals("lr-fast", b, "least request: the idle backend, never the one with a request in flight");
        }
        assertEquals(stuckCount, stall.hits());
        assertEquals(0, drained.hits(), "weight 0 is drained");

        int timedOut = 0;
        for (CompletableFuture<HttpResponse<String>> p : pending) {
            timedOut += p.get().statusCode() == 504 ? 1 : 0;
        }
        assertEquals(stuckCount, timedOut);
        await().atMost(READY).until(() -> stuck.inFlight() == 0);
    }

    @Test
    void inFlightReturnsToZeroAfterSuccessUpstreamFailureTimeoutAndClientAbort() throws Exception {
        TestBackend ok = f.closeLater(TestBackend.start("inf-ok"));
        f.writer.register("inf-ok", "1", ok.port(), 1);
        serve("inf-ok", "/inf-ok", "{\"policy\":\"least_request\"}", null, 1);
        for (int i = 0; i < 10; i++) {
            assertEquals(200, Http.get(f.port(), "/inf-ok/x").statusCode());
        }
        Endpoint okEndpoint = endpoint("inf-ok", "1");
        await().atMost(READY).until(() -> okEndpoint.inFlight() == 0);

        f.writer.register("inf-dead", "1", f.closeLater(new RefusedPort()).port(), 1);
        serve("inf-dead", "/inf-dead", null, null, 1);
        for (int i = 0; i < 5; i++) {
            assertEquals(502, Http.get(f.port(), "/inf-dead/x").statusCode());
        }
        Endpoint dead = endpoint("inf-dead", "1");
        await().atMost(READY).until(() -> dead.inFlight() == 0);

        TestBackend stall = f.closeLater(TestBackend.stalling("inf-stall"));
        f.writer.register("inf-stall", "1", stall.port(), 1);
        serve("inf-stall", "/inf-stall", null, null, 1, ",\"timeouts\":{\"responseMs\":300}");
        for (int i = 0; i < 3; i++) {
            assertEquals(504, Http.get(f.port(), "/inf-stall/x").statusCode());
        }
        Endpoint stalled = endpoint("inf-stall", "1");
        await().atMost(READY).until(() -> stalled.inFlight() == 0);

        // Client abort while the backend is streaming its response; the response timeout (60 s) is far away.
        StreamingBackend streaming = f.closeLater(StreamingBackend.start("inf-stream"));
        f.writer.register("inf-stream", "1", streaming.port(), 1);
        serve("inf-stream", "/inf-stream", null, null, 1, ",\"timeouts\":{\"responseMs\":60000}");
        Endpoint streamed = endpoint("inf-stream", "1");
        for (int i = 0; i < 3; i++) {
            try (Socket socket = new Socket("127.0.0.1", f.port())) {
                socket.setSoTimeout(10_000);
                OutputStream out = socket.getOutputStream();
                out.write("GET /inf-stream/x HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                InputStream in = socket.getInputStream();
                byte[] buf = new byte[256];
                assertTrue(in.read(buf) > 0, "the response started");
                assertEquals(1, streamed.inFlight(), "one request in flight while streaming");
                socket.setSoLinger(true, 0); // abort: reset the connection
            }
            await().atMost(READY).until(() -> streamed.inFlight() == 0); // measured: about 100 ms
        }

        // Client abort before the response started: Jetty does not read from the client while it waits for the
        // backend, so it notices only when the response timeout fires (measured: at the timeout). Until then the
        // backend is still working on the request, so counting it as in flight is what least_request should see.
        TestBackend quiet = f.closeLater(TestBackend.stalling("inf-quiet"));
        f.writer.register("inf-quiet", "1", quiet.port(), 1);
        serve("inf-quiet", "/inf-quiet", null, null, 1, ",\"timeouts\":{\"responseMs\":2000}");
        Endpoint quietEndpoint = endpoint("inf-quiet", "1");
        try (Socket socket = new Socket("127.0.0.1", f.port())) {
            socket.getOutputStream().write("GET /inf-quiet/x HTTP/1.1\r\nHost: x\r\n\r\n"
                    .getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            await().atMost(READY).until(() -> quiet.hits() == 1);
            assertEquals(1, quietEndpoint.inFlight());
            socket.setSoLinger(true, 0);
        }
        await().atMost(READY).until(() -> quietEndpoint.inFlight() == 0);
    }

    @Test
    void aChangeInAnotherServiceKeepsARoutesBalancerSoRoundRobinKeepsAlternating() throws Exception {
        backends("keep", 1, 1);
        serve("keep", "/keep", null, null, 2);
        Balancer balancer = route("keep").balancer();
        String previous = backendOf(Http.get(f.port(), "/keep/"));
        for (int i = 0; i < 10; i++) {
            long version = f.gateway.snapshots().current().version();
            f.writer.register("elsewhere", "i" + i, 1 + i, 1); // a registration in another service: a new snapshot
            await().atMost(READY).until(() -> f.gateway.snapshots().current().version() > version);
            assertSame(balancer, route("keep").balancer(), "rebuilt for a change in another service");
            String next = backendOf(Http.get(f.port(), "/keep/"));
            assertNotEquals(previous, next, "round robin alternates across snapshot rebuilds");
            previous = next;
        }

        TestBackend third = f.closeLater(TestBackend.start("keep-c"));
        f.writer.register("keep", "c", third.port(), 1);
        f.awaitRoutable("keep", 3);
        assertNotSame(balancer, route("keep").balancer(), "a change in the route's own service rebuilds its balancer");
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    /**
     * Starts one backend per weight, named {@code <service>-a}, {@code -b}, ... and registered with ids a, b, ...
     *
     * @return the last backend (the tests put their weight-0 backend last)
     */
    private static TestBackend backends(String service, int... weights) throws Exception {
        TestBackend last = null;
        for (int i = 0; i < weights.length; i++) {
            String id = String.valueOf((char) ('a' + i));
            last = f.closeLater(TestBackend.start(service + "-" + id));
            f.writer.register(service, id, last.port(), weights[i]);
        }
        return last;
    }

    /** Writes a route and waits until the snapshot serves it with {@code routable} instances. */
    private static void serve(String id, String prefix, String lb, String service, int routable, String... extra)
            throws Exception {
        String svc = service == null ? id : service;
        f.writer.putRoute(id, "{\"id\":\"" + id + "\",\"match\":{\"pathPrefix\":\"" + prefix + "\"},\"service\":\""
                + svc + "\"" + (lb == null ? "" : ",\"lb\":" + lb) + String.join("", extra) + "}");
        f.awaitRoutable(svc, routable);
        await().atMost(READY).until(() -> route(id) != null);
    }

    private static RouteEntry route(String id) {
        for (RouteEntry e : f.gateway.snapshots().current().routes().entries()) {
            if (e.id().equals(id)) {
                return e;
            }
        }
        return null;
    }

    /** The endpoint as the current snapshot holds it; its in-flight counter is the one every snapshot shares. */
    private static Endpoint endpoint(String service, String id) {
        for (Endpoint e : f.gateway.snapshots().current().services().get(service).routable()) {
            if (e.id().equals(id)) {
                return e;
            }
        }
        throw new AssertionError("no endpoint " + service + "/" + id);
    }

    private static List<String> hits(String path, int n) {
        List<String> seq = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            HttpResponse<String> r = Http.get(f.port(), path);
            assertEquals(200, r.statusCode(), r.body());
            seq.add(backendOf(r));
        }
        return seq;
    }

    private static Map<String, Integer> count(List<String> names) {
        Map<String, Integer> counts = new HashMap<>();
        for (String n : names) {
            counts.merge(n, 1, Integer::sum);
        }
        return counts;
    }
}
