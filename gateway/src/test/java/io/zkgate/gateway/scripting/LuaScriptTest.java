package io.zkgate.gateway.scripting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.gateway.routing.RequestView;
import io.zkgate.gateway.routing.ResponseView;
import io.zkgate.gateway.routing.TestRequest;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
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

    /** Response headers in a map, as a front door's view holds them. */
    private record MapResponse(Map<String, String> headers) implements ResponseView {
        MapResponse() {
            this(new TreeMap<>(String.CASE_INSENSITIVE_ORDER));
        }

        public String header(String name) { return headers.get(name); }
        public void setHeader(String name, String value) { headers.put(name, value); }
        public void removeHeader(String name) { headers.remove(name); }
    }

    @Test
    void reqAndResFunctionsWorkWithDotAndColonIgnoreExtraArgumentsAndNameThemselvesInErrors() throws Exception {
        RouteScript s = script("""
                local function err(f, ...)
                  local ok, e = pcall(f, ...)
                  return ok and "ok" or (tostring(e):gsub("%c", " "))
                end
                function on_request(req)
                  if req.header("X-Mode") == "respond" then
                    req:respond(201, { ["X-R"] = "r" }, "made", "extra")
                    return
                  end
                  req.set_header("X-Fields", table.concat({ req.method, req.path, req.query, req.client_ip, req.route,
                    req.service, tostring(req.nope) }, " "))
                  req:set_header("X-A", "1")
                  req.set_header("X-B", "2", "ignored", "ignored too")
                  req:set_header("X-C", req:header("X-A") .. req.header("X-B", "x") .. req:query_param("q")
                    .. req.query_param("q", 1, 2, 3))
                  req:remove_header("X-N")
                  req.set_header("X-Err-Type", err(req.header, {}))
                  req.set_header("X-Err-Colon-Type", err(req.set_path, req, 7 > 1))
                  req.set_header("X-Err-Name", err(req.set_header, "Content-Length", "1"))
                  req.set_header("X-Err-Assign", err(function() req.path = "/x" end))
                  req:set_path("/p")
                  req:set_hash_key("k")
                end
                function on_response(req, res)
                  res:set_header("X-Status", tostring(res.status))
                  res.set_header("X-Seen", res:header("X-Up") .. res.header("X-Up", "extra"))
                  res:remove_header("X-Gone")
                  res.set_header("X-Err-Late", err(req.set_header, "A", "b"))
                  res.set_header("X-Err-Value", err(res.set_header, "A", {}))
                end
                """, 100_000);
        ScriptExchange x = s.onRequest(TestRequest.get("/t").withMethod("PUT").withQuery("q=v")
                .withHeader("X-N", "gone"));
        assertFalse(x.failed(), x.failure());
        assertEquals("PUT /t q=v 127.0.0.1 route svc nil", x.header("X-Fields"));
        assertEquals("12vv", x.header("X-C"));
        assertNull(x.header("X-N"), "req:remove_header");
        assertTrue(x.header("X-Err-Type").contains("req.header: name must be a string, got table"),
                x.header("X-Err-Type"));
        assertTrue(x.header("X-Err-Colon-Type").contains("req.set_path: path must be a string, got boolean"),
                x.header("X-Err-Colon-Type"));
        assertTrue(x.header("X-Err-Name").contains("managed by the gateway"), x.header("X-Err-Name"));
        assertTrue(x.header("X-Err-Assign").contains("req is read-only: cannot assign req.path"),
                x.header("X-Err-Assign"));
        assertEquals("/p", x.upstreamPath());
        assertEquals("k", x.hashKey());

        MapResponse response = new MapResponse();
        response.setHeader("X-Up", "u");
        response.setHeader("X-Gone", "g");
        assertTrue(x.onResponse(response, 503), x.failure());
        assertEquals("503", response.header("X-Status"));
        assertEquals("uu", response.header("X-Seen"));
        assertNull(response.header("X-Gone"), "res:remove_header");
        assertTrue(response.header("X-Err-Late").contains("req.set_header/remove_header is only available in "
                + "on_request"), response.header("X-Err-Late"));
        assertTrue(response.header("X-Err-Value").contains("res.set_header: value must be a string, got table"),
                response.header("X-Err-Value"));

        ScriptExchange answered = s.onRequest(request(Map.of("X-Mode", "respond")));
        assertFalse(answered.failed(), answered.failure());
        assertEquals(201, answered.respondedStatus());
        StringBuilder headers = new StringBuilder();
        assertEquals("made", new String(answered.respondedBody(
                (name, value) -> headers.append(name).append(": ").append(value).append("\r\n")), StandardCharsets.UTF_8));
        assertTrue(headers.toString().contains("X-R: r\r\n"), headers.toString());
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
