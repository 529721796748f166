package io.zkgate.gateway.scripting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Each way out of the sandbox, tried by a script served by a real gateway on a real ZooKeeper. The probe runs the
 * attempt inside pcall and answers "escaped: ..." if it worked, "blocked: ..." if it failed.
 */
class LuaSandboxEndToEndTest {
    private static final String PROBE = """
            local attempts = {
              allowed = function() return string.format("%s-%d", ("ok"):upper(), math.max(1, 2)) .. table.concat({"a", "b"}) end,
              io = function() return io.open("/etc/hostname"):read("*a") end,
              io_write = function() io.write("x") return "wrote" end,
              os_getenv = function() return os.getenv("HOME") end,
              os_exit = function() os.exit(1) end,
              os_execute = function() return os.execute("true") end,
              luajava = function() return luajava.bindClass("java.lang.System"):getProperty("user.home") end,
              debug = function() return debug.getregistry() end,
              debug_sethook = function() debug.sethook() return "unhooked" end,
              require = function() return require("os").getenv("HOME") end,
              package = function() return package.loaded end,
              dofile = function() return dofile("/etc/hostname") end,
              loadfile = function() return loadfile("/etc/hostname") end,
              load_text = function() return load("return 'compiled at run time'")() end,
              load_binary = function() return load(string.dump(function() return "bytecode ran" end))() end,
              loadstring = function() return loadstring("return 1")() end,
              coroutine = function() return coroutine.wrap(function() return "resumed" end)() end,
              collectgarbage = function() return collectgarbage("count") end,
              print = function() print("to stdout") return "printed" end,
              string_metatable = function()
                getmetatable("").__index.upper = function() return "pwned" end
                return ("a"):upper()
              end,
              string_metatable_rawset = function() rawset(getmetatable(""), "__index", {}) return "replaced" end,
              string_setmetatable = function() setmetatable("", {}) return "set" end,
              globals_setmetatable = function() setmetatable(_G, nil) return "unlocked" end,
              req_setmetatable = function(req) setmetatable(req, nil) return "unlocked" end,
              java_class = function(req) return req.header.getClass end,
            }
            function on_request(req)
              local attempt = attempts[req.query_param("try")]
              local ok, result = pcall(attempt, req)
              if ok and result ~= nil then
                return req.respond(200, nil, "escaped: " .. tostring(result))
              end
              return req.respond(200, nil, "blocked: " .. tostring(result))
            end
            """;

    @AutoClose
    private static LuaFixture lua;

    @BeforeAll
    static void start() throws Exception {
        lua = LuaFixture.scriptBesidePlainRoute("probe", PROBE);
    }

    @Test
    void whatTheSandboxAllowsStillWorks() {
        assertEquals("escaped: OK-2ab", lua.get("/probe?try=allowed").body());
    }

    @ParameterizedTest
    @ValueSource(strings = {"io", "io_write", "os_getenv", "os_exit", "os_execute", "luajava", "debug", "debug_sethook",
            "require", "package", "dofile", "loadfile", "load_text", "load_binary", "loadstring", "coroutine",
            "collectgarbage", "print", "string_metatable", "string_metatable_rawset", "string_setmetatable",
            "globals_setmetatable", "req_setmetatable", "java_class"})
    void anEscapeAttemptFails(String attempt) {
        HttpResponse<String> r = lua.get("/probe?try=" + attempt);
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.body().startsWith("blocked: "), attempt + " -> " + r.body());
        assertEquals("escaped: OK-2ab", lua.get("/probe?try=allowed").body(), "the sandbox still works after " + attempt);
        assertEquals(200, lua.get("/plain").statusCode(), "the gateway still serves");
    }

    @Test
    void changesToTheStringLibraryNeverReachStringMethodsOrOtherRequestsOrScripts() throws Exception {
        lua.putScript("string-vandal", """
                function on_request(req)
                  local inside = "-"
                  if req.query_param("how") == "assign" then
                    string.upper = function() return "pwned" end
                  else
                    rawset(string, "upper", function() return "pwned" end)
                    inside = string.upper("a")
                  end
                  req.respond(200, nil, inside .. " " .. ("a"):upper() .. " " .. string.upper("a"))
                end
                """);
        lua.route("string-vandal", "string-vandal");
        lua.putScript("string-user", """
                function on_request(req) req.respond(200, nil, ("b"):upper() .. string.upper("c")) end
                """);
        lua.route("string-user", "string-user");

        HttpResponse<String> assign = lua.get("/string-vandal?how=assign");
        assertEquals(500, assign.statusCode(), "library tables are read-only while serving");
        assertTrue(assign.body().contains("cannot assign string.upper"), assign.body());
        for (int i = 0; i < 20; i++) {
            assertEquals("pwned A pwned", lua.get("/string-vandal?how=rawset").body(),
                    "rawset works within its own call only, and never on string methods");
            assertEquals("BC", lua.get("/string-user").body());
        }
    }

    @Test
    void nothingStoredRawInGlobalsLibrariesOrReqLeaksIntoLaterRequests() throws Exception {
        lua.putScript("leaky", """
                function on_request(req)
                  local secret = req.header("X-Secret")
                  local before = table.concat({tostring(rawget(_G, "stash")), tostring(rawget(_G, 1)),
                    tostring(rawget(string, "stash")), tostring(rawget(req, "stash")), req.path}, ",")
                  rawset(_G, "stash", secret)
                  table.insert(_G, secret)
                  rawset(string, "stash", secret)
                  rawset(req, "stash", secret)
                  rawset(req, "path", secret)
                  req.respond(200, nil, before .. " " .. tostring(stash) .. " " .. req.path)
                end
                """);
        lua.route("leaky", "leaky");
        for (int i = 0; i < 40; i++) {
            HttpResponse<String> r = lua.get("/leaky", Map.of("X-Secret", "secret-" + i));
            assertEquals("nil,nil,nil,nil,/leaky secret-" + i + " secret-" + i, r.body(),
                    "request " + i + " saw another request's data");
        }
    }

    @Test
    void assigningAGlobalWhileServingIsAScriptErrorButTopLevelGlobalsWork() throws Exception {
        lua.putScript("globals", """
                greeting = "hello"
                function on_request(req)
                  if req.query_param("assign") then counter = 1 end
                  req.respond(200, nil, greeting)
                end
                """);
        lua.route("globals", "globals");
        assertEquals("hello", lua.get("/globals").body());
        HttpResponse<String> r = lua.get("/globals?assign=1");
        assertEquals(500, r.statusCode());
        assertTrue(r.body().contains("cannot assign global 'counter'"), r.body());
    }
}
