package io.zkgate.gateway.scripting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.gateway.scripting.EchoBackend.Seen;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The shipped example scripts, loaded from their files into a real ZooKeeper and served by a real gateway. */
class ExampleScriptsEndToEndTest {
    @AutoClose
    private static LuaFixture lua;

    @BeforeAll
    static void start() throws Exception {
        lua = new LuaFixture();
        lua.putScript("api-key", LuaFixture.example("api-key.lua"));
        lua.putScript("header-injection", LuaFixture.example("header-injection.lua"));
        lua.putScript("canary", LuaFixture.example("canary.lua"));
        lua.route("keyed", "api-key");
        lua.route("tagged", "header-injection");
        lua.route("app", "canary");
    }

    @Test
    void apiKeyAnswers401WithoutAKnownKeyAndForwardsTheClientNameInsteadOfTheKey() {
        int hits = lua.backend.hits();
        HttpResponse<String> none = lua.get("/keyed/orders");
        assertEquals(401, none.statusCode());
        assertTrue(none.body().contains("\"error\":\"unauthorized\""), none.body());
        assertEquals("application/json", none.headers().firstValue("Content-Type").orElse(null));
        assertTrue(none.headers().firstValue("WWW-Authenticate").isPresent());
        assertEquals(401, lua.get("/keyed/orders", Map.of("X-Api-Key", "k-wrong")).statusCode());
        assertEquals(401, lua.get("/keyed/orders", Map.of("X-Api-Key", "")).statusCode());
        assertEquals(hits, lua.backend.hits(), "refused requests never reach the backend");

        HttpResponse<String> ok = lua.get("/keyed/orders", Map.of("X-Api-Key", "k-19be44d07a"));
        assertEquals(200, ok.statusCode());
        Seen seen = Seen.parse(ok.body());
        assertEquals("partner-acme", seen.header("X-Api-Client"));
        assertNull(seen.header("X-Api-Key"), "the key itself is not forwarded");
    }

    @Test
    void headerInjectionTagsTheRequestForTheBackendAndTheResponseForTheClient() {
        HttpResponse<String> r = lua.get("/tagged/x");
        assertEquals(200, r.statusCode());
        Seen seen = Seen.parse(r.body());
        assertEquals("zkgate", seen.header("X-Gateway"));
        assertEquals("tagged", seen.header("X-Gateway-Route"));
        assertEquals("tagged", r.headers().firstValue("X-Served-By").orElse(null));
        assertFalse(r.headers().firstValue("X-Upstream-Secret").isPresent());
    }

    @Test
    void canarySendsAboutTenPercentOfUsersToTheCanaryAlwaysTheSameUsers() {
        int users = 1000;
        Map<String, Boolean> decision = new HashMap<>();
        int canary = 0;
        for (int i = 0; i < users; i++) {
            String user = "user-" + i;
            Seen seen = Seen.parse(lua.get("/app/home?u=" + i, Map.of("X-User-Id", user)).body());
            boolean isCanary = seen.requestLine().startsWith("GET /canary/app/home?u=" + i);
            assertEquals(isCanary, "1".equals(seen.header("X-Canary")), seen.requestLine());
            assertEquals(javaBucket(user) < 10, isCanary, user);
            decision.put(user, isCanary);
            if (isCanary) {
                canary++;
            }
        }
        assertTrue(canary >= 70 && canary <= 130, canary + " of " + users + " users in the canary");
        for (int i = 0; i < 50; i++) {
            String user = "user-" + i;
            boolean again = Seen.parse(lua.get("/app/home", Map.of("X-User-Id", user)).body()).requestLine()
                    .startsWith("GET /canary/");
            assertEquals(decision.get(user), again, "a user always lands on the same side: " + user);
        }
    }

    /** The script's hash, in Java: the script must put exactly these users in the canary. */
    private static long javaBucket(String s) {
        long h = 0;
        for (byte b : s.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            h = (h * 31 + (b & 0xff)) % 4294967296L;
        }
        return h % 100;
    }
}
