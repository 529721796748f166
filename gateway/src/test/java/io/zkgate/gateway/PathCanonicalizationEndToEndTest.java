package io.zkgate.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.gateway.support.GatewayFixture;
import io.zkgate.gateway.support.RawHttp;
import io.zkgate.gateway.support.RecordingBackend;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A route {@code /admin} guarded by a Lua key check beside an open catch-all {@code /} on the same backend, attacked
 * with every spelling class of {@code /admin} sent as raw bytes: each request is refused 400 bad_path or routed to
 * the guarded route, and the backend, which records the exact request line it received, never gets a target that a
 * lenient backend would resolve to {@code /admin} unless the guard passed.
 */
class PathCanonicalizationEndToEndTest {
    private static final String KEY = "s3cret";
    @AutoClose
    private static GatewayFixture f;
    private static RecordingBackend backend;

    @BeforeAll
    static void start() throws Exception {
        f = new GatewayFixture();
        backend = f.closeLater(RecordingBackend.start("app"));
        f.writer.register("app", "1", backend.port(), 1);
        f.writer.putRaw("/zkgate/scripts/guard", """
                function on_request(req)
                  if req.header("X-Key") ~= "%s" then return req.respond(403, nil, "guarded") end
                  req.remove_header("X-Key")
                end
                """.formatted(KEY));
        f.writer.putRoute("admin", "{\"match\":{\"pathPrefix\":\"/admin\"},\"service\":\"app\",\"script\":\"guard\"}");
        f.writer.putRoute("open", "{\"match\":{\"pathPrefix\":\"/\"},\"service\":\"app\"}");
        f.writer.putRoute("strip", "{\"match\":{\"pathPrefix\":\"/svc\"},\"service\":\"app\",\"stripPrefix\":true}");
        await().atMost(Duration.ofSeconds(15)).until(() -> RawHttp.status(get("/admin/x", false)) == 403
                && RawHttp.status(get("/svc/x", false)) == 200 && RawHttp.status(get("/public", false)) == 200);
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
            encoded unreserved            | /%61dmin/users
            encoded unreserved, all       | /%61%64%6D%69%6E/users
            encoded unreserved, lower hex | /adm%69n
            single dot segment            | /./admin/users
            single dot, encoded           | /%2e/admin/users
            double dot segment            | /x/../admin/users
            double dot, encoded           | /x/%2E%2E/admin/users
            double dot, half encoded      | /x/.%2e/admin/users
            double dot, deeper            | /a/b/../../admin
            repeated slashes              | //admin/users
            repeated slashes, more        | ///admin///users
            """)
    void aSpellingThatCanonicalizesToTheGuardedPathMeetsTheGuard(String spellingClass, String path) throws Exception {
        int before = backend.requestLines().size();
        String withoutKey = get(path, false);
        assertEquals(403, RawHttp.status(withoutKey), spellingClass + ": " + withoutKey);
        assertEquals("guarded", RawHttp.body(withoutKey));
        assertEquals(before, backend.requestLines().size(), "the backend saw nothing of " + path);

        String withKey = get(path, true);
        assertEquals(200, RawHttp.status(withKey), withKey);
        String received = backend.targets().get(backend.targets().size() - 1).split("\\?")[0];
        assertTrue(CanonicalPathOracle.resolve(received).startsWith("/admin"), received);
        assertTrue(received.equals("/admin/users") || received.equals("/admin"),
                "forwarded in canonical form, not as spelled: " + received);
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
            path parameter on a segment   | /admin;x/users
            path parameter, jsessionid    | /admin;jsessionid=1
            parameter on a dot segment    | /x/..;/admin/users
            encoded slash                 | /x%2F..%2Fadmin/users
            encoded slash, lower hex      | /admin%2fusers
            double encoding of a letter   | /%2561dmin/users
            double encoding of dots       | /x/%252e%252e/admin
            climb above the root          | /../admin/users
            climb above the root, deeper  | /x/../../admin/users
            climb, encoded dots           | /%2e%2e/admin
            encoded NUL                   | /admin%00/users
            encoded line break            | /admin%0d%0aX-Key:%20s3cret
            encoded backslash             | /x%5C..%5Cadmin
            raw backslash                 | /x\\..\\admin
            bad percent-encoding          | /admin%zz
            """)
    void aSpellingWithNoSafeCanonicalFormIsRefused400AndNeverForwarded(String spellingClass, String path)
            throws Exception {
        int before = backend.requestLines().size();
        String r = get(path, true);
        assertEquals(400, RawHttp.status(r), spellingClass + ": " + r);
        assertTrue(r.contains("Content-Type: application/json"), r);
        assertTrue(RawHttp.body(r).contains("\"error\":\"bad_path\""), r);
        assertEquals(before, backend.requestLines().size(), "the backend saw nothing of " + path);
    }

    @Test
    void noRequestWithoutTheKeyEverReachedTheBackendAsAGuardedPath() throws Exception {
        String[] attempts = {"/%61dmin", "/./admin", "//admin", "/x/../admin", "/admin;x", "/admin%2F", "/%2561dmin",
            "/../admin", "/%2e%2e/admin", "/x\\..\\admin", "/public/../admin", "/public/%2e%2e/admin"};
        for (String path : attempts) {
            get(path, false);
        }
        for (String target : backend.targets()) {
            String resolved = CanonicalPathOracle.resolve(target.split("\\?")[0]);
            if (resolved.equals("/admin") || resolved.startsWith("/admin/")) {
                assertFalse(target.contains("no-key"), "reached the backend as " + resolved + " without the guard: "
                        + target);
            }
        }
    }

    @Test
    void theOpenRouteForwardsTheCanonicalPathAndTheQueryAsSent() throws Exception {
        String r = get("/public/%7Euser/./a%2fb?x=%2F..&y=%61", false);
        assertEquals(400, RawHttp.status(r), "an encoded slash in the path is refused wherever it is: " + r);
        r = get("/public/%7euser/./docs//a%20b/%c3%a9?x=%2F..&y=%61", false);
        assertEquals(200, RawHttp.status(r), r);
        assertEquals("app /public/~user/docs/a%20b/%C3%A9?x=%2F..&y=%61&no-key", RawHttp.body(r));
    }

    @Test
    void stripPrefixRemovesThePrefixFromTheCanonicalPath() throws Exception {
        assertEquals("app /a/b?no-key", RawHttp.body(get("/x/../svc/%61/./b", false)));
        assertEquals("app /a?no-key", RawHttp.body(get("//svc//a", false)));
        assertEquals("app /?no-key", RawHttp.body(get("/svc/x/..", false)));
    }

    @Test
    void aConsistentHashRouteOnThePathKeepsOneUsersDifferentlySpelledRequestsOnOneBackend() throws Exception {
        RecordingBackend one = f.closeLater(RecordingBackend.start("h1"));
        RecordingBackend two = f.closeLater(RecordingBackend.start("h2"));
        RecordingBackend three = f.closeLater(RecordingBackend.start("h3"));
        f.writer.register("hashed", "1", one.port(), 1);
        f.writer.register("hashed", "2", two.port(), 1);
        f.writer.register("hashed", "3", three.port(), 1);
        f.writer.putRoute("hashed", "{\"match\":{\"pathPrefix\":\"/h\"},\"service\":\"hashed\","
                + "\"lb\":{\"policy\":\"consistent_hash\",\"hashKey\":\"path\"}}");
        await().atMost(Duration.ofSeconds(15)).until(() -> {
            Set<String> seen = new HashSet<>();
            for (int i = 0; i < 30; i++) {
                seen.add(RawHttp.body(get("/h/probe-" + i, false)).split(" ")[0]);
            }
            return seen.size() == 3;
        });
        Set<String> backendsUsed = new HashSet<>();
        for (int user = 0; user < 12; user++) {
            String u = "user-" + user;
            List<String> spellings = List.of("/h/" + u, "/h/%75ser-" + user, "/h/./" + u, "//h/" + u,
                    "/h/x/../" + u, "/h//" + u, "/%68/" + u);
            Set<String> answers = new HashSet<>();
            for (String spelling : spellings) {
                answers.add(RawHttp.body(get(spelling, false)));
            }
            assertEquals(1, answers.size(), u + " went to several backends or paths: " + answers);
            String answer = answers.iterator().next();
            assertTrue(answer.endsWith(" /h/" + u + "?no-key"), answer);
            backendsUsed.add(answer.split(" ")[0]);
        }
        assertTrue(backendsUsed.size() >= 2, "users are spread by their path: " + backendsUsed);
    }

    @Test
    void aWebSocketHandshakeIsMatchedAndForwardedOnItsCanonicalPath() throws Exception {
        String refused = RawHttp.exchange(f.port(), handshake("/%61dmin/ws", false));
        assertEquals(403, RawHttp.status(refused), refused);
        refused = RawHttp.exchange(f.port(), handshake("//x/../admin/ws", false));
        assertEquals(403, RawHttp.status(refused), refused);
        String bad = RawHttp.exchange(f.port(), handshake("/admin;x/ws", true));
        assertEquals(400, RawHttp.status(bad), bad);
        assertTrue(bad.contains("\"error\":\"bad_path\""), bad);
        bad = RawHttp.exchange(f.port(), handshake("/x%2F..%2Fadmin/ws", true));
        assertEquals(400, RawHttp.status(bad), bad);

        int before = backend.requestLines().size();
        String upgraded = RawHttp.exchange(f.port(), handshake("/x/%2e%2e/%61dmin//ws", true));
        assertEquals(101, RawHttp.status(upgraded), upgraded);
        await().atMost(Duration.ofSeconds(5)).until(() -> backend.requestLines().size() > before);
        assertEquals("GET /admin/ws?key HTTP/1.1", backend.requestLines().get(before));
    }

    /** A GET sent as raw bytes; the query says whether the key was sent, so the backend's record shows it. */
    private static String get(String path, boolean withKey) throws Exception {
        return RawHttp.exchange(f.port(), "GET " + path + (path.contains("?") ? "&" : "?") + (withKey ? "key" : "no-key")
                + " HTTP/1.1\r\nHost: gw\r\n" + (withKey ? "X-Key: " + KEY + "\r\n" : "") + "Connection: close\r\n\r\n");
    }

    private static String handshake(String path, boolean withKey) {
        return "GET " + path + "?" + (withKey ? "key" : "no-key") + " HTTP/1.1\r\nHost: gw\r\n"
                + (withKey ? "X-Key: " + KEY + "\r\n" : "")
                + "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
    }

    /**
     * How a lenient backend framework resolves a path before routing it: percent-decodes everything, takes '\' for
     * '/', strips ';' parameters from each segment, merges slashes and resolves dot segments (clamping at the root).
     */
    static final class CanonicalPathOracle {
        static String resolve(String target) {
            String path = target.split("\\?")[0];
            String decoded = URLDecoder.decode(path.replace("+", "%2B"), StandardCharsets.UTF_8).replace('\\', '/');
            Deque<String> segments = new ArrayDeque<>();
            for (String segment : decoded.split("/")) {
                int semi = segment.indexOf(';');
                String s = semi >= 0 ? segment.substring(0, semi) : segment;
                if (s.isEmpty() || s.equals(".")) {
                    continue;
                }
                if (s.equals("..")) {
                    segments.pollLast();
                } else {
                    segments.addLast(s);
                }
            }
            return "/" + String.join("/", segments);
        }
    }
}
