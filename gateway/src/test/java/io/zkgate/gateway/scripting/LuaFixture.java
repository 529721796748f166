package io.zkgate.gateway.scripting;

import static org.awaitility.Awaitility.await;

import io.zkgate.gateway.routing.RouteEntry;
import io.zkgate.gateway.support.GatewayFixture;
import io.zkgate.gateway.support.Http;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * A real ZooKeeper, a real gateway and an echo backend registered as service {@code echo}; helpers to write
 * scripts and routes the way an operator would, and to send requests with headers. Thread-safe for sending
 * requests (the JDK client is); set up from one test thread.
 */
public final class LuaFixture implements AutoCloseable {
    static final Path EXAMPLES = Path.of("..", "config", "examples", "scripts");

    final GatewayFixture f;
    final EchoBackend backend;

    LuaFixture(String... flags) throws Exception {
        f = new GatewayFixture(flags);
        backend = f.closeLater(new EchoBackend("echo-1"));
        f.writer.register("echo", "1", backend.port(), 1);
        await().atMost(Duration.ofSeconds(20)).until(() -> f.gateway.snapshots().current().synced()
                && f.gateway.snapshots().current().services().containsKey("echo"));
    }

    /**
     * A fixture with script {@code name} run by route {@code name} and route {@code plain} beside it without a script:
     * what a test of a script's limits needs to show that one script's trouble stays its own.
     */
    static LuaFixture scriptBesidePlainRoute(String name, String source) throws Exception {
        LuaFixture lua = new LuaFixture();
        try {
            lua.putScript(name, source);
            lua.route(name, name);
            lua.route("plain", null);
            return lua;
        } catch (Exception | Error e) {
            lua.close();
            throw e;
        }
    }

    int port() {
        return f.port();
    }

    void putScript(String name, String source) throws Exception {
        f.writer.putRaw("/zkgate/scripts/" + name, source);
    }

    public static String example(String file) {
        try {
            return Files.readString(EXAMPLES.resolve(file), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void deleteScript(String name) throws Exception {
        f.operator.delete().forPath("/zkgate/scripts/" + name);
    }

    /** Route {@code id} on prefix {@code /id} to service echo, running {@code script}; waits until it serves. */
    void route(String id, String script) throws Exception {
        route(id, script, "");
    }

    /** As {@link #route(String, String)}, with extra route JSON fields (starting with ','). */
    void route(String id, String script, String extra) throws Exception {
        f.writer.putRoute(id, "{\"id\":\"" + id + "\",\"match\":{\"pathPrefix\":\"/" + id + "\"},\"service\":\"echo\""
                + (script == null ? "" : ",\"script\":\"" + script + "\"") + extra + "}");
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            RouteEntry e = entry(id);
            return e != null && (script == null || (e.script() != null && e.script().name().equals(script)
                    && e.script().script() != null));
        });
    }

    /** Waits until route {@code id} serves version {@code znodeVersion} of its script. */
    void awaitScriptVersion(String id, int znodeVersion) {
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            RouteEntry e = entry(id);
            return e != null && e.script() != null && e.script().script() != null
                    && e.script().script().version() == znodeVersion;
        });
    }

    RouteEntry entry(String id) {
        for (RouteEntry e : f.gateway.snapshots().current().routes().entries()) {
            if (e.id().equals(id)) {
                return e;
            }
        }
        return null;
    }

    ScriptStats stats(String script) {
        return f.gateway.control().scripts().stats(script);
    }

    HttpResponse<String> get(String path) {
        return send("GET", path, Map.of());
    }

    HttpResponse<String> get(String path, Map<String, String> headers) {
        return send("GET", path, headers);
    }

    HttpResponse<String> send(String method, String path, Map<String, String> headers) {
        return Http.send(method, f.port(), path, headers);
    }

    @Override
    public void close() throws Exception {
        f.close();
    }
}
