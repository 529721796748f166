package io.zkgate.loadtest;

import io.zkgate.gateway.routing.RequestView;
import io.zkgate.gateway.routing.ResponseView;
import io.zkgate.gateway.scripting.RouteScript;
import io.zkgate.gateway.scripting.ScriptCatalog;
import io.zkgate.gateway.scripting.ScriptExchange;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpFields;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * A route's Lua filter as the router and a front door run it per request, without HTTP: the calls into the script and
 * the {@code req}/{@code res} functions it makes. {@code headerInjection}: {@code config/examples/scripts/}
 * {@code header-injection.lua}'s {@code on_request} (two request headers set) and {@code on_response} (one response
 * header set, one removed). {@code apiKey}: {@code api-key.lua}'s {@code on_request} (a header read, a table lookup,
 * one header removed and one set). {@code requestFields}: an {@code on_request} that reads {@code req.method},
 * {@code req.path}, {@code req.client_ip}, {@code req.route} and one query parameter. Each thread runs its own Lua
 * state, as gateway threads do; run from the repository root, with {@code -prof gc} for B/op.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Benchmark)
public class LuaFilterBenchmark {
    private static final Path EXAMPLES = Path.of("config", "examples", "scripts");
    private static final String FIELDS = """
            function on_request(req)
              local seen = req.method ~= "GET" or req.path == "/" or req.client_ip == "" or req.route == ""
                or req.query_param("page") == nil
              if seen then req.respond(500) end
            end
            """;

    private RouteScript inject;
    private RouteScript apiKey;
    private RouteScript fields;
    private final Request request = new Request();

    /** One response's headers per thread, edited again by every call. */
    @State(Scope.Thread)
    public static class Response {
        final HttpFields.Mutable headers = HttpFields.build().put("X-Upstream-Secret", "s");
        final ResponseView view = new ResponseView() {
            public String header(String name) { return headers.get(name); }
            public void setHeader(String name, String value) { headers.put(name, value); }
            public void removeHeader(String name) { headers.remove(name); }
        };
    }

    @Setup
    public void setUp() {
        ScriptCatalog catalog = new ScriptCatalog("/scripts", 100_000);
        inject = bind(catalog, "header-injection", example("header-injection.lua"));
        apiKey = bind(catalog, "api-key", example("api-key.lua"));
        fields = bind(catalog, "fields", FIELDS.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] example(String file) {
        try {
            return Files.readAllBytes(EXAMPLES.resolve(file));
        } catch (IOException e) {
            throw new UncheckedIOException("run from the repository root: " + e.getMessage(), e);
        }
    }

    private static RouteScript bind(ScriptCatalog catalog, String name, byte[] source) {
        if (!catalog.put("/scripts/" + name, source, 1)) {
            throw new IllegalStateException("script " + name + " was refused");
        }
        return catalog.bind(name, "shop", "shop");
    }

    @Benchmark
    public boolean headerInjection(Response response) {
        ScriptExchange x = inject.onRequest(request);
        return x.onResponse(response.view, 200);
    }

    @Benchmark
    public ScriptExchange apiKey() {
        return checked(apiKey.onRequest(request));
    }

    @Benchmark
    public ScriptExchange requestFields() {
        return checked(fields.onRequest(request));
    }

    private static ScriptExchange checked(ScriptExchange x) {
        if (x.failed() || x.responded()) {
            throw new IllegalStateException("the script refused the request: " + x.failure());
        }
        return x;
    }

    /** A GET with a query and an API key among four headers. */
    private static final class Request implements RequestView {
        private static final String[] NAMES = {"Host", "User-Agent", "Accept", "X-Api-Key"};
        private static final String[] VALUES = {"gw.example.com", "bench/1.0", "*/*", "k-19be44d07a"};

        public String method() { return "GET"; }
        public String host() { return "gw.example.com"; }
        public String path() { return "/shop/items"; }
        public String query() { return "page=2&size=20"; }
        public String clientAddress() { return "127.0.0.1"; }
        public long contentLength() { return -1; }

        public String header(String name) {
            for (int i = 0; i < NAMES.length; i++) {
                if (NAMES[i].equalsIgnoreCase(name)) {
                    return VALUES[i];
                }
            }
            return null;
        }

        public List<String> headerValues(String name) {
            String v = header(name);
            return v == null ? List.of() : List.of(v);
        }
    }
}
