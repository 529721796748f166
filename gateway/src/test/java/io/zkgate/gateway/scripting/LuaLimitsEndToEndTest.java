package io.zkgate.gateway.scripting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Runaway and failing scripts through a real gateway on a real ZooKeeper: each is stopped, its request gets the 500
 * script_error JSON naming the script, the failure is counted, and the gateway keeps serving.
 */
class LuaLimitsEndToEndTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String RUNAWAY = """
            local cases = {}
            cases.loop = function() while true do end end
            cases.loop_in_pcall = function() pcall(function() while true do end end) end
            cases.loop_in_xpcall_handler = function()
              xpcall(function() error("first") end, function(e) while true do end end)
            end
            cases.swallowed = function()
              xpcall(function() while true do end end, function(e) return e end)
              pcall(function() while true do end end)
            end
            cases.recursion = function()
              local function down(n) return 1 + down(n + 1) end
              return down(1)
            end
            cases.recursion_in_pcall = function()
              local function down(n) return 1 + down(n + 1) end
              pcall(down, 1)
            end
            cases.mutual_recursion = function()
              local a, b
              a = function(n) return b(n + 1) + 1 end
              b = function(n) return a(n + 1) + 1 end
              return a(1)
            end
            cases.metamethod_recursion = function()
              local t = setmetatable({}, {})
              getmetatable(t).__index = function(self, k) return self[k .. "x"] end
              return t.a
            end
            cases.doubling = function() local s = "x" for i = 1, 40 do s = s .. s end return #s end
            cases.rep = function() return #string.rep("x", 1e9) end
            cases.rep_method = function() return #(("xy"):rep(1e9)) end
            cases.format = function() local s = string.rep("x", 60000) return #string.format(string.rep("%s", 20), s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s) end
            cases.gsub = function() return #(string.rep("x", 1000):gsub("x", string.rep("y", 10000))) end
            cases.gsub_function = function()
              local big = string.rep("y", 100000)
              return #(string.rep("x", 1000):gsub("x", function() return big end))
            end
            cases.concat = function()
              local t = {} local s = string.rep("x", 100000)
              for i = 1, 20 do t[i] = s end
              return #table.concat(t)
            end
            cases.accumulate = function()
              local t = {} local s = string.rep("x", 1000000)
              for i = 1, 100 do t[i] = s .. i end
              return #t
            end
            cases.unpack = function() return select("#", table.unpack({}, 1, 1e8)) end
            cases.bytes = function() local s = string.rep("x", 1000000) local n = 0 for i = 1, 30 do n = n + select("#", s:byte(1, -1)) end return n end
            cases.fine = function() end
            cases.error = function() error("boom") end
            cases.nil_index = function() local t = nil return t.field end
            cases.error_table = function() error({code = 42}) end
            function on_request(req)
              cases[req.query_param("case")]()
              req.respond(200, nil, "survived")
            end
            """;

    @AutoClose
    private static LuaFixture lua;

    @BeforeAll
    static void start() throws Exception {
        lua = LuaFixture.scriptBesidePlainRoute("runaway", RUNAWAY);
    }

    @ParameterizedTest
    @CsvSource({
            "loop, instruction limit of 100000 exceeded",
            "loop_in_pcall, instruction limit",
            "loop_in_xpcall_handler, instruction limit",
            "swallowed, instruction limit",
            "recursion, call depth exceeds 200",
            "recursion_in_pcall, call depth",
            "mutual_recursion, call depth",
            "metamethod_recursion, call depth",
            "doubling, exceeds the limit of 1048576 bytes",
            "rep, exceeds the limit of 1048576 bytes",
            "rep_method, exceeds the limit",
            "format, exceeds the limit",
            "gsub, exceeds the limit",
            "gsub_function, exceeds the limit",
            "concat, exceeds the limit",
            "accumulate, built more than 16777216 bytes",
            "unpack, built more than",
            "bytes, built more than"})
    void aRunawayScriptIsStoppedWithScriptErrorAndCounted(String which, String reason) throws Exception {
        ScriptStats stats = lua.stats("runaway");
        long failures = stats.failures();
        long limits = stats.limitsExceeded();
        long t0 = System.nanoTime();
        HttpResponse<String> r = lua.get("/runaway?case=" + which);
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertScriptError(r, "runaway", reason);
        assertTrue(r.body().contains("stopped"), r.body());
        assertTrue(ms < 3000, which + " took " + ms + " ms");
        assertEquals(failures + 1, stats.failures());
        assertEquals(limits + 1, stats.limitsExceeded());
        assertEquals(200, lua.get("/plain").statusCode(), "the gateway keeps serving");
    }

    @ParameterizedTest
    @CsvSource({
            "error, boom",
            "nil_index, attempt to index",
            "error_table, table"})
    void aScriptThatThrowsGetsScriptErrorAndIsCounted(String which, String reason) throws Exception {
        ScriptStats stats = lua.stats("runaway");
        long failures = stats.failures();
        long limits = stats.limitsExceeded();
        HttpResponse<String> r = lua.get("/runaway?case=" + which);
        assertScriptError(r, "runaway", reason);
        assertTrue(r.body().contains("failed"), r.body());
        assertEquals(failures + 1, stats.failures());
        assertEquals(limits, stats.limitsExceeded(), "an error is not a limit");
        assertEquals(200, lua.get("/plain").statusCode());
    }

    @Test
    void manyConcurrentRunawaysAreAllStoppedAndOrdinaryTrafficFlowsMeanwhile() throws Exception {
        int n = 16;
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<CompletableFuture<Integer>> runaways = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                String which = i % 2 == 0 ? "loop" : "recursion";
                runaways.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                    return lua.get("/runaway?case=" + which).statusCode();
                }, pool));
            }
            go.countDown();
            for (int i = 0; i < 20; i++) {
                assertEquals(200, lua.get("/plain").statusCode());
            }
            for (CompletableFuture<Integer> f : runaways) {
                assertEquals(500, f.get(30, TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aStateStoppedByALimitIsRebuiltAndServesTheNextRequest() throws Exception {
        for (int i = 0; i < 5; i++) {
            assertEquals(500, lua.get("/runaway?case=loop").statusCode());
            assertEquals("survived", lua.get("/runaway?case=fine").body());
        }
    }

    static void assertScriptError(HttpResponse<String> r, String script, String reason) throws Exception {
        assertEquals(500, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        JsonNode body = JSON.readTree(r.body());
        assertEquals(500, body.get("status").asInt());
        assertEquals("script_error", body.get("error").asText());
        String message = body.get("message").asText();
        assertTrue(message.contains("script '" + script + "'"), message);
        assertTrue(message.contains(reason), message);
    }
}
