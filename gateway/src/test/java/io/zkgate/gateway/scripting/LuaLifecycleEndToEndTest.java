package io.zkgate.gateway.scripting;

import static io.zkgate.gateway.scripting.LuaLimitsEndToEndTest.assertScriptError;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Scripts written, changed, broken and deleted in a real ZooKeeper while a real gateway serves. */
class LuaLifecycleEndToEndTest {
    @AutoClose
    private static LuaFixture lua;

    @BeforeAll
    static void start() throws Exception {
        lua = new LuaFixture();
    }

    private static String versioned(String v) {
        return "function on_request(req) req.respond(200, nil, '" + v + "') end";
    }

    @Test
    void aChangedScriptIsSwappedForNewRequestsWithoutAFailedRequest() throws Exception {
        lua.putScript("reload", versioned("v1"));
        lua.route("reload", "reload");
        assertEquals("v1", lua.get("/reload").body());

        AtomicBoolean running = new AtomicBoolean(true);
        AtomicReference<String> bad = new AtomicReference<>();
        Set<String> seen = java.util.Collections.synchronizedSet(new HashSet<>());
        Thread traffic = new Thread(() -> {
            while (running.get()) {
                HttpResponse<String> r = lua.get("/reload");
                if (r.statusCode() != 200 || !(r.body().equals("v1") || r.body().equals("v2"))) {
                    bad.compareAndSet(null, r.statusCode() + " " + r.body());
                }
                seen.add(r.body());
            }
        });
        traffic.start();
        try {
            lua.putScript("reload", versioned("v2"));
            await().atMost(Duration.ofSeconds(5)).until(() -> lua.get("/reload").body().equals("v2"));
            Thread.sleep(100);
        } finally {
            running.set(false);
            traffic.join();
        }
        assertNull(bad.get(), "a request failed or saw something else during the swap");
        assertTrue(seen.contains("v2"));
        for (int i = 0; i < 20; i++) {
            assertEquals("v2", lua.get("/reload").body(), "no request runs the old version after the swap");
        }
        assertEquals(1, lua.entry("reload").script().script().version());
    }

    @Test
    void aScriptThatDoesNotCompileIsRefusedWithItsLineAndThePreviousVersionKeepsServing() throws Exception {
        lua.putScript("syntax", versioned("good"));
        lua.route("syntax", "syntax");
        assertEquals("good", lua.get("/syntax").body());

        lua.putScript("syntax", "function on_request(req)\n  local x = = 1\nend\n");
        await().atMost(Duration.ofSeconds(5)).until(() -> lua.f.gateway.control().scriptStates().get("syntax")
                .rejection() != null);
        ScriptCatalog.ScriptState state = lua.f.gateway.control().scriptStates().get("syntax");
        assertEquals(1, state.latestVersion());
        assertEquals(0, state.served().version());
        assertTrue(state.rejection().startsWith("line 2: "), state.rejection());
        for (int i = 0; i < 10; i++) {
            assertEquals("good", lua.get("/syntax").body(), "the previous version keeps serving");
        }

        lua.putScript("syntax", versioned("fixed"));
        await().atMost(Duration.ofSeconds(5)).until(() -> lua.get("/syntax").body().equals("fixed"));
        assertNull(lua.f.gateway.control().scriptStates().get("syntax").rejection());
    }

    @Test
    void aScriptWhoseTopLevelFailsOrThatHasNoOnRequestIsRefusedLikeACompileError() throws Exception {
        lua.putScript("toplevel", versioned("good"));
        lua.route("toplevel", "toplevel");
        String[][] broken = {
                {"local limit = nil + 1\nfunction on_request(req) end", "top level: attempt to perform arithmetic"},
                {"function on_reqest(req) end", "no function on_request"},
                {"on_request = 42", "no function on_request"},
                {"function on_request(req) end\non_response = 'x'", "on_response is a string"},
                {"function on_request(req) end\nwhile true do end", "instruction limit"},
                {"\u001bLua\u0052\u0000binary chunk", ""},
        };
        int version = 0;
        for (String[] b : broken) {
            lua.putScript("toplevel", b[0]);
            int expected = ++version;
            await().atMost(Duration.ofSeconds(5)).until(() -> {
                ScriptCatalog.ScriptState s = lua.f.gateway.control().scriptStates().get("toplevel");
                return s.latestVersion() == expected && s.rejection() != null;
            });
            String rejection = lua.f.gateway.control().scriptStates().get("toplevel").rejection();
            assertTrue(rejection.contains(b[1]), rejection);
            assertEquals("good", lua.get("/toplevel").body(), "still serving version 0 after: " + rejection);
        }
    }

    @Test
    void aDeletedScriptMakesItsRoutesFailClosedWithScriptError() throws Exception {
        lua.putScript("doomed", "function on_request(req) end");
        lua.route("doomed", "doomed");
        assertEquals(200, lua.get("/doomed").statusCode());
        int hits = lua.backend.hits();

        lua.deleteScript("doomed");
        await().atMost(Duration.ofSeconds(5)).until(() -> lua.get("/doomed").statusCode() == 500);
        assertScriptError(lua.get("/doomed"), "doomed", "not available");
        int afterDelete = lua.backend.hits();
        for (int i = 0; i < 5; i++) {
            assertScriptError(lua.get("/doomed"), "doomed", "no script znode /zkgate/scripts/doomed");
        }
        assertEquals(afterDelete, lua.backend.hits(), "nothing reaches the backend without its filter");
        assertTrue(afterDelete >= hits);

        lua.putScript("doomed", "function on_request(req) end");
        await().atMost(Duration.ofSeconds(5)).until(() -> lua.get("/doomed").statusCode() == 200);
    }

    @Test
    void aRouteNamingAScriptThatNeverExistedOrNeverCompiledFailsClosed() throws Exception {
        lua.f.writer.putRoute("ghost", "{\"id\":\"ghost\",\"match\":{\"pathPrefix\":\"/ghost\"},\"service\":\"echo\","
                + "\"script\":\"no-such-script\"}");
        await().atMost(Duration.ofSeconds(5)).until(() -> lua.entry("ghost") != null);
        assertScriptError(lua.get("/ghost"), "no-such-script", "not available");

        lua.putScript("never-good", "function on_request(req");
        lua.f.writer.putRoute("never", "{\"id\":\"never\",\"match\":{\"pathPrefix\":\"/never\"},\"service\":\"echo\","
                + "\"script\":\"never-good\"}");
        await().atMost(Duration.ofSeconds(5)).until(() -> lua.entry("never") != null);
        HttpResponse<String> r = lua.get("/never");
        assertScriptError(r, "never-good", "was refused");
        assertNotNull(lua.f.gateway.control().scriptStates().get("never-good").rejection());
        assertTrue(lua.stats("never-good").failures() >= 1);
    }

    @Test
    void oneScriptServesSeveralRoutesAndEachSeesItsOwnRouteAndService() throws Exception {
        lua.putScript("shared", "function on_request(req) req.respond(200, nil, req.route .. '>' .. req.service) end");
        lua.route("shared-a", "shared");
        lua.route("shared-b", "shared");
        assertEquals("shared-a>echo", lua.get("/shared-a").body());
        assertEquals("shared-b>echo", lua.get("/shared-b").body());
    }
}
