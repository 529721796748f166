package io.zkgate.gateway.edge;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpServer;
import io.zkgate.gateway.support.GatewayFixture;
import io.zkgate.gateway.support.HeadlessChromium;
import io.zkgate.gateway.support.RawHttp;
import io.zkgate.gateway.support.ScriptedBackend;
import io.zkgate.gateway.support.ScriptedBackend.Reply;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;

/**
 * CORS in real headless Chromium (the status page browser test's setup): a page served from one origin calls two
 * routes of the gateway, on another origin, with a credentialed PUT and a custom header, so the browser sends a
 * preflight first. The route that allows the page's origin answers and the page reads the body and an exposed
 * header; the route that does not is blocked by the browser, whose actual request then never reaches the backend.
 * Needs Debian's {@code chromium} and {@code chromium-driver}; skipped, saying so, when they are not installed.
 */
class CorsBrowserTest {
    @TempDir
    Path dir;

    @Test
    void aPageOnAnotherOriginCanCallAnAllowedRouteAndCannotCallADisallowedOne() throws Exception {
        assumeTrue(HeadlessChromium.installed(), HeadlessChromium.SKIPPED);
        HttpServer pages = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        try (GatewayFixture f = new GatewayFixture()) {
            ScriptedBackend backend = f.closeLater(ScriptedBackend.start(r -> Reply.keepAlive(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok")));
            String pageOrigin = "http://127.0.0.1:" + startPages(pages, f.port());
            f.writer.register("api", "1", backend.port(), 1);
            f.writer.putRoute("allowed", """
                    {"id":"allowed","match":{"pathPrefix":"/allowed","methods":["GET","PUT"]},"service":"api",
                     "cors":{"allowOrigins":["%s"],"allowMethods":["GET","PUT"],"allowHeaders":["X-Api-Version"],
                      "exposeHeaders":["X-Request-Id"],"allowCredentials":true,"maxAgeSeconds":60}}"""
                    .formatted(pageOrigin));
            f.writer.putRoute("denied", """
                    {"id":"denied","match":{"pathPrefix":"/denied","methods":["GET","PUT"]},"service":"api",
                     "cors":{"allowOrigins":["https://other.example.com"],"allowCredentials":true}}""");
            await().atMost(Duration.ofSeconds(10)).until(() -> status(f, "/allowed/x") == 200
                    && status(f, "/denied/x") == 200);
            int before = backend.received().size();

            WebDriver browser = HeadlessChromium.start(dir.resolve("chrome"));
            try {
                browser.get(pageOrigin + "/");
                await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() ->
                        !browser.findElement(By.id("denied")).getText().isEmpty()
                        && !browser.findElement(By.id("allowed")).getText().isEmpty());
                String allowed = browser.findElement(By.id("allowed")).getText();
                assertTrue(allowed.matches("200:ok:[0-9a-f]{32}"), "the page read the answer and the exposed "
                        + "X-Request-Id: " + allowed);
                assertEquals("blocked", browser.findElement(By.id("denied")).getText());
                assertEquals(1, backend.received().stream().skip(before)
                        .filter(r -> r.requestLine().startsWith("PUT ")).count(),
                        "only the allowed route's PUT reached the backend; the browser never sent the other");
                assertTrue(backend.received().stream().skip(before).noneMatch(r -> r.requestLine().startsWith("OPTIONS")),
                        "preflights are answered by the gateway");
            } finally {
                browser.quit();
            }
        } finally {
            pages.stop(0);
        }
    }

    /** Serves the calling page; returns its port. */
    private static int startPages(HttpServer pages, int gatewayPort) {
        String page = """
                <!doctype html><html><body><p id="allowed"></p><p id="denied"></p><script>
                async function call(path) {
                  try {
                    const r = await fetch('http://127.0.0.1:%d' + path, {method: 'PUT', credentials: 'include',
                        headers: {'X-Api-Version': '2'}, body: 'x'});
                    return r.status + ':' + (await r.text()) + ':' + r.headers.get('X-Request-Id');
                  } catch (e) {
                    return 'blocked';
                  }
                }
                call('/allowed/x').then(t => document.getElementById('allowed').textContent = t);
                call('/denied/x').then(t => document.getElementById('denied').textContent = t);
                </script></body></html>""".formatted(gatewayPort);
        byte[] body = page.getBytes(StandardCharsets.UTF_8);
        pages.createContext("/", exchange -> {
            exchange.getResponseHeaders().add("Content-Type", "text/html; charset=utf-8");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        pages.start();
        return pages.getAddress().getPort();
    }

    private static int status(GatewayFixture f, String path) throws Exception {
        return RawHttp.status(RawHttp.exchange(f.port(), "GET " + path + " HTTP/1.1\r\nHost: h\r\n"
                + "Connection: close\r\n\r\n"));
    }
}
