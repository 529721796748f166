package io.zkgate.gateway.scripting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.gateway.routing.RequestView;
import io.zkgate.gateway.routing.TestRequest;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/** The script runtime without HTTP: Lua states per thread, budgets per call, the query parser. */
class LuaScriptTest {
    private static final RequestView REQUEST = request(Map.of("X-N", "1"));

    private static RequestView request(Map<String, String> headers) {
        TestRequest r = TestRequest.get("/t");
        for (Map.Entry<String, String> h : headers.entrySet()) {
            r = r.withHeader(h.getKey(), h.getValue());
        }
        return r;
    }

    private static RouteScript script(String source, int limit) throws ScriptCompileException {
        ScriptStats stats = new ScriptStats("t");
        return RouteScript.of(LuaScript.compile("t", 0, source.getBytes(StandardCharsets.UTF_8), limit, stats), stats,
                "route", "svc");
    }

    /** The X-Count header the script set. */
    private static String counted(RouteScript s) {
        ScriptExchange x = s.onRequest(REQUEST);
        assertFalse(x.failed(), x.failure());
        return x.header("X-Count");
    }

    @Test
    void topLevelTablesLiveAsLongAsTheThreadsLuaStateAndAreNotSharedBetweenThreads() throws Exception {
        RouteScript s = script("""
                local seen = { n = 0 }
                function on_request(req)
                  seen.n = seen.n + 1
                  req.set_header("X-Count", tostring(seen.n))
                end
                """, 10_000);
        assertEquals("1", counted(s));
        assertEquals("2", counted(s), "the same thread reuses its state");
        ExecutorService other = Executors.newSingleThreadExecutor();
        try {
            assertEquals("1", CompletableFuture.supplyAsync(() -> counted(s), other).get(), "another thread, another state");
            assertEquals("2", CompletableFuture.supplyAsync(() -> counted(s), other).get());
        } finally {
            other.shutdownNow();
        }
        assertEquals("3", counted(s));
    }

    @Test
    void aStateStoppedByALimitIsReplacedByAFreshOneButAnOrdinaryErrorKeepsIt() throws Exception {
        RouteScript s = script("""
                local calls = 0
                function on_request(req)
                  calls = calls + 1
                  if req.header("X-Mode") == "loop" then while true do end end
                  if req.header("X-Mode") == "error" then error("no") end
                  req.set_header("X-Count", tostring(calls))
                end
                """, 10_000);
        assertEquals("1", counted(s));
        assertTrue(s.onRequest(request(Map.of("X-Mode", "error"))).failed());
        assertEquals("3", counted(s), "kept after a Lua error");
        ScriptExchange loop = s.onRequest(request(Map.of("X-Mode", "loop")));
        assertTrue(loop.failure().contains("instruction limit of 10000 exceeded"), loop.failure());
        assertEquals("1", counted(s), "rebuilt after a limit");
    }

    @Test
    void theInstructionLimitIsPerCall() throws Exception {
        RouteScript s = script("""
                function on_request(req)
                  local n = 0
                  for i = 1, 1500 do n = n + i end
                  req.set_header("X-Count", tostring(n))
                end
                """, 10_000);
        for (int i = 0; i < 50; i++) {
            assertEquals("1125750", counted(s), "call " + i);
        }
        RouteScript tight = script("""
                function on_request(req)
                  local n = 0
                  for i = 1, 1500 do n = n + i end
                end
                """, 1_000);
        assertTrue(tight.onRequest(REQUEST).failure().contains("instruction limit of 1000"));
    }

    @Test
    void compileErrorsCarryTheirLine() {
        ScriptCompileException e = assertThrows(ScriptCompileException.class,
                () -> script("function on_request(req)\n\n  if then end\nend", 10_000));
        assertEquals(3, e.line());
        ScriptCompileException top = assertThrows(ScriptCompileException.class,
                () -> script("local t = {}\nlocal x = t.a.b\nfunction on_request(req) end", 10_000));
        assertEquals(2, top.line());
        assertTrue(top.reason().startsWith("top level: attempt to index"), top.reason());
    }

    @Test
    void respondRefusesBadStatusesAndABodyOnA204() throws Exception {
        RouteScript s = script("""
                function on_request(req)
                  local mode = req.header("X-Mode")
                  if mode == "low" then req.respond(101) end
                  if mode == "nobody" then req.respond(204, nil, "x") end
                  if mode == "text" then req.respond("abc") end
                end
                """, 10_000);
        assertTrue(s.onRequest(request(Map.of("X-Mode", "low"))).failure().contains("expected: 200-599"));
        assertTrue(s.onRequest(request(Map.of("X-Mode", "nobody"))).failure().contains("has no body"));
        assertTrue(s.onRequest(request(Map.of("X-Mode", "text"))).failure().contains("must be an integer"));
    }

    @Test
    void queryParametersAreDecodedAndTheFirstOneWins() {
        String q = "a=1&b=x%20y&c&d=&a=2&e+f=g+h&%67=enc&bad=%zz&=empty";
        assertEquals("1", ScriptExchange.queryParam(q, "a"));
        assertEquals("x y", ScriptExchange.queryParam(q, "b"));
        assertEquals("", ScriptExchange.queryParam(q, "c"));
        assertEquals("", ScriptExchange.queryParam(q, "d"));
        assertEquals("g h", ScriptExchange.queryParam(q, "e f"));
        assertEquals("enc", ScriptExchange.queryParam(q, "g"));
        assertEquals("%zz", ScriptExchange.queryParam(q, "bad"), "a malformed escape is given raw");
        assertEquals("empty", ScriptExchange.queryParam(q, ""));
        assertNull(ScriptExchange.queryParam(q, "zz"));
        assertNull(ScriptExchange.queryParam(null, "a"));
        assertNull(ScriptExchange.queryParam("", "a"));
    }
}
