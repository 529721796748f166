package io.zkgate.agent;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A plain HTTP server on a free loopback port: {@code /health} answers the status set with {@link #healthStatus},
 * every other path answers 200 "hello from PORT". Thread-safe.
 */
final class Backend implements AutoCloseable {
    private final HttpServer server;
    private final AtomicInteger healthStatus = new AtomicInteger(200);
    private final AtomicInteger healthRequests = new AtomicInteger();

    Backend() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            int status = 200;
            String body = "hello from " + port();
            if (exchange.getRequestURI().getPath().equals("/health")) {
                healthRequests.incrementAndGet();
                status = healthStatus.get();
                body = status == 200 ? "ok" : "failing";
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        });
        server.setExecutor(Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "test-backend");
            t.setDaemon(true);
            return t;
        }));
        server.start();
    }

    int port() {
        return server.getAddress().getPort();
    }

    URI healthUrl() {
        return URI.create("http://127.0.0.1:" + port() + "/health");
    }

    void healthStatus(int status) {
        healthStatus.set(status);
    }

    int healthRequests() {
        return healthRequests.get();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
