package io.zkgate.gateway.scripting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.gateway.balancer.Balancer;
import io.zkgate.gateway.balancer.Endpoint;
import io.zkgate.gateway.routing.RouteEntry;
import io.zkgate.gateway.routing.RouteTable;
import io.zkgate.gateway.routing.Snapshot;
import io.zkgate.gateway.scripting.EchoBackend.Seen;
import io.zkgate.gateway.support.LogCapture;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every call of the script API, through a real gateway on a real ZooKeeper, seen from the client and backend. */
class LuaApiEndToEndTest {
    @AutoClose
    private static LuaFixture lua;

    @BeforeAll
    static void start() throws Exception {
        lua = new LuaFixture();
    }

    @Test
    void onRequestReadsMethodPathQueryParamsHeadersClientAddressRouteAndService() throws Exception {
        lua.putScript("reads", """
                function on_request(req)
                  req.set_header("X-Method", req.method)
                  req.set_header("X-Path", req.path)
                  req.set_header("X-Query", req.query or "none")
                  req.set_header("X-Param-A", req.query_param("a") or "absent")
                  req.set_header("X-Param-Space", req.query_param("b c") or "absent")
                  req.set_header("X-Param-Flag", req.query_param("flag") or "absent")
                  req.set_header("X-Param-Missing", req.query_param("zzz") or "absent")
                  req.set_header("X-Agent", req.header("x-client-tag") or "absent")
                  req.set_header("X-Missing-Header", req.header("X-Not-Sent") or "absent")
                  req.set_header("X-Client-Ip", req.client_ip)
                  req.set_header("X-Route", req.route)
                  req.set_header("X-Service", req.service)
                  req.set_header("X-Colon", req:header("X-Client-Tag") or "absent")
                end
                """);
        lua.route("reads", "reads");

        HttpResponse<String> r = lua.send("POST", "/reads/x/y?a=1%2B1&b+c=d%20e&flag&a=2",
                Map.of("X-Client-Tag", "tag-7"));
        assertEquals(200, r.statusCode(), r.body());
        Seen seen = Seen.parse(r.body());
        assertEquals("POST /reads/x/y?a=1%2B1&b+c=d%20e&flag&a=2", seen.requestLine());
        assertEquals("POST", seen.header("X-Method"));
        assertEquals("/reads/x/y", seen.header("X-Path"));
        assertEquals("a=1%2B1&b+c=d%20e&flag&a=2", seen.header("X-Query"), "raw query");
        assertEquals("1+1", seen.header("X-Param-A"), "decoded, first value wins");
        assertEquals("d e", seen.header("X-Param-Space"), "encoded names match");
        assertEquals("", seen.header("X-Param-Flag"), "a parameter without '=' is empty");
        assertEquals("absent", seen.header("X-Param-Missing"));
        assertEquals("tag-7", seen.header("X-Agent"), "header names are case-insensitive");
        assertEquals("absent", seen.header("X-Missing-Header"));
        assertEquals("127.0.0.1", seen.header("X-Client-Ip"));
        assertEquals("reads", seen.header("X-Route"));
        assertEquals("echo", seen.header("X-Service"));
        assertEquals("tag-7", seen.header("X-Colon"), "req:f(...) works like req.f(...)");

        Seen noQuery = Seen.parse(lua.get("/reads").body());
        assertEquals("GET", noQuery.header("X-Method"));
        assertEquals("none", noQuery.header("X-Query"));
    }

    @Test
    void setHeaderAndRemoveHeaderChangeWhatTheBackendReceivesAndWhatLaterReadsSee() throws Exception {
        lua.putScript("edits", """
                function on_request(req)
                  req.set_header("X-Added", "yes")
                  req.set_header("X-Replaced", "new")
                  req.remove_header("X-Secret")
                  req.set_header("X-Forwarded-Proto", "https")
                  req.set_header("X-Read-Back", (req.header("X-Added") or "nil") .. "/" .. (req.header("X-Secret") or "nil"))
                end
                """);
        lua.route("edits", "edits");

        Seen seen = Seen.parse(lua.get("/edits", Map.of("X-Replaced", "old", "X-Secret", "pw", "X-Kept", "k")).body());
        assertEquals("yes", seen.header("X-Added"));
        assertEquals("new", seen.header("X-Replaced"), "set replaces the client's value");
        assertNull(seen.header("X-Secret"), "removed before it reached the backend");
        assertEquals("k", seen.header("X-Kept"), "other headers untouched");
        assertEquals("https", seen.header("X-Forwarded-Proto"), "edits apply after the gateway's own headers");
        assertEquals("yes/nil", seen.header("X-Read-Back"), "req.header sees the script's edits");
    }

    @Test
    void headerEditsWithLineBreaksOrGatewayManagedNamesAreScriptErrors() throws Exception {
        lua.putScript("bad-header", """
                function on_request(req)
                  local which = req.query_param("h")
                  if which == "crlf" then req.set_header("X-A", "a\\r\\nInjected: yes") end
                  if which == "length" then req.set_header("Content-Length", "0") end
                  if which == "name" then req.set_header("Bad Name", "x") end
                end
                """);
        lua.route("bad-header", "bad-header");
        for (String which : List.of("crlf", "length", "name")) {
            HttpResponse<String> r = lua.get("/bad-header?h=" + which);
            assertEquals(500, r.statusCode(), which + ": " + r.body());
            assertTrue(r.body().contains("\"error\":\"script_error\""), r.body());
        }
        assertEquals(200, lua.get("/bad-header?h=none").statusCode());
    }

    @Test
    void setPathRewritesTheUpstreamPathAndKeepsTheQuery() throws Exception {
        lua.putScript("path", """
                function on_request(req)
                  req.set_path("/v2" .. string.sub(req.path, 6))
                end
                """);
        lua.route("path", "path", ",\"stripPrefix\":true");
        assertEquals("GET /v2/items/7?x=1", Seen.parse(lua.get("/path/items/7?x=1").body()).requestLine());

        lua.putScript("path-bad", """
                function on_request(req) req.set_path("no-slash") end
                """);
        lua.route("path-bad", "path-bad");
        HttpResponse<String> bad = lua.get("/path-bad/x");
        assertEquals(500, bad.statusCode());
        assertTrue(bad.body().contains("set_path"), bad.body());
    }

    @Test
    void setHashKeyIsTheKeyTheBalancerPicksWith() throws Exception {
        lua.putScript("hash", """
                function on_request(req)
                  local user = req.header("X-User")
                  if user then req.set_hash_key("user:" .. user) end
                end
                """);
        lua.route("hash", "hash");
        RouteEntry real = lua.entry("hash");
        Endpoint echo = real.balancer().endpoints()[0];
        List<String> keys = Collections.synchronizedList(new ArrayList<>());
        Balancer recording = new Balancer() {
            @Override
            public Endpoint pick(String key) {
                keys.add(String.valueOf(key));
                return echo;
            }

            @Override
            public Endpoint[] endpoints() {
                return new Endpoint[] {echo};
            }
        };
        // The same route and compiled script from ZooKeeper, with a balancer that records its keys; the control
        // thread replaces this snapshot at its next ZooKeeper event.
        Snapshot current = lua.f.gateway.snapshots().current();
        RouteEntry spy = new RouteEntry(real.route(), real.znodeVersion(), recording, real.upstream(),
                real.metrics(), real.script());
        lua.f.gateway.snapshots().publish(new Snapshot(current.version() + 1, RouteTable.of(List.of(spy)),
                current.services(), true, current.routesZxid()));

        assertEquals(200, lua.get("/hash", Map.of("X-User", "alice")).statusCode());
        assertEquals(200, lua.get("/hash").statusCode());
        assertEquals(List.of("user:alice", "null"), keys);
        lua.f.gateway.snapshots().publish(current);
    }

    @Test
    void respondAnswersDirectlyWithStatusHeadersAndBodyWithoutContactingTheBackend() throws Exception {
        lua.putScript("respond", """
                function on_request(req)
                  if req.query_param("mode") == "teapot" then
                    return req.respond(418, {["Content-Type"] = "application/json", ["X-Why"] = "tea"},
                                       '{"tea":true}')
                  end
                  if req.query_param("mode") == "empty" then
                    return req.respond(204)
                  end
                  if req.query_param("mode") == "plain" then
                    return req.respond(401, nil, "no key")
                  end
                end
                """);
        lua.route("respond", "respond");
        int hits = lua.backend.hits();

        HttpResponse<String> teapot = lua.get("/respond?mode=teapot");
        assertEquals(418, teapot.statusCode());
        assertEquals("{\"tea\":true}", teapot.body());
        assertEquals("application/json", teapot.headers().firstValue("Content-Type").orElse(null));
        assertEquals("tea", teapot.headers().firstValue("X-Why").orElse(null));

        HttpResponse<String> empty = lua.get("/respond?mode=empty");
        assertEquals(204, empty.statusCode());
        assertEquals("", empty.body());

        HttpResponse<String> plain = lua.get("/respond?mode=plain");
        assertEquals(401, plain.statusCode());
        assertEquals("no key", plain.body());
        assertTrue(plain.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));

        assertEquals(hits, lua.backend.hits(), "no request reached the backend");
        assertEquals(200, lua.get("/respond?mode=pass").statusCode());
        assertEquals(hits + 1, lua.backend.hits());
    }

    @Test
    void respondWorksEvenWhenTheServiceHasNoInstances() throws Exception {
        lua.putScript("deny-all", "function on_request(req) req.respond(403, nil, 'closed') end");
        lua.f.writer.putRoute("nobody", "{\"id\":\"nobody\",\"match\":{\"pathPrefix\":\"/nobody\"},\"service\":\"none\","
                + "\"script\":\"deny-all\"}");
        org.awaitility.Awaitility.await().until(() -> lua.get("/nobody").statusCode() == 403);
        assertEquals("closed", lua.get("/nobody").body());
    }

    @Test
    void onResponseReadsStatusAndHeadersAndSetsAndRemovesResponseHeaders() throws Exception {
        lua.putScript("response", """
                function on_request(req)
                  req.set_header("X-Trace", "t-1")
                end
                function on_response(req, res)
                  res.set_header("X-Seen-Status", tostring(res.status))
                  res.set_header("X-Seen-Backend", res.header("X-Backend") or "nil")
                  res.set_header("X-Seen-Trace", req.header("X-Trace") or "nil")
                  res.set_header("X-Route", req.route)
                  res.remove_header("X-Upstream-Secret")
                  local ok, err = pcall(req.set_header, "X-Late", "1")
                  res.set_header("X-Late-Refused", tostring(not ok))
                end
                """);
        lua.route("response", "response");

        HttpResponse<String> ok = lua.get("/response");
        assertEquals(200, ok.statusCode());
        assertEquals("200", ok.headers().firstValue("X-Seen-Status").orElse(null));
        assertEquals("echo-1", ok.headers().firstValue("X-Seen-Backend").orElse(null));
        assertEquals("t-1", ok.headers().firstValue("X-Seen-Trace").orElse(null), "on_request's edits are visible");
        assertEquals("response", ok.headers().firstValue("X-Route").orElse(null));
        assertFalse(ok.headers().firstValue("X-Upstream-Secret").isPresent(), "removed before it reached the client");
        assertEquals("true", ok.headers().firstValue("X-Late-Refused").orElse(null),
                "request edits are refused once the request was sent");
        assertTrue(ok.body().startsWith("GET /response"), "the backend's body passes through");

        HttpResponse<String> unavailable = lua.get("/response?status=503");
        assertEquals(503, unavailable.statusCode());
        assertEquals("503", unavailable.headers().firstValue("X-Seen-Status").orElse(null));
    }

    @Test
    void anErrorInOnResponseReplacesTheBackendsAnswerWithScriptError() throws Exception {
        lua.putScript("response-error", """
                function on_request(req) end
                function on_response(req, res) error("response check failed") end
                """);
        lua.route("response-error", "response-error");
        HttpResponse<String> r = lua.get("/response-error");
        assertEquals(500, r.statusCode());
        assertTrue(r.body().contains("\"error\":\"script_error\""), r.body());
        assertTrue(r.body().contains("response check failed"), r.body());
        assertFalse(r.headers().firstValue("X-Upstream-Secret").isPresent(), "none of the backend's headers leak");
        assertEquals(1, lua.stats("response-error").failures());
    }

    @Test
    void logGoesThroughSlf4jUnderTheScriptsLoggerAndIsRateLimited() throws Exception {
        try (LogCapture logged = new LogCapture("io.zkgate.script.logger")) {
            lua.putScript("logger", """
                    function on_request(req) log("saw " .. req.path) end
                    """);
            lua.route("logger", "logger");
            for (int i = 0; i < 40; i++) {
                assertEquals(200, lua.get("/logger/" + i).statusCode());
            }
            List<String> lines = logged.messages();
            assertTrue(lines.contains("saw /logger/0"), lines.toString());
            assertTrue(lines.size() <= 2 * ScriptStats.LOG_LINES_PER_SECOND, "rate-limited: " + lines.size());
        }
    }
}
