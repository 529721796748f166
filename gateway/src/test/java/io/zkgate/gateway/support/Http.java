package io.zkgate.gateway.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** A real HTTP client for tests (the JDK's), with short helpers. Thread-safe. */
public final class Http {
    private static final HttpClient CLIENT = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    private Http() {}

    public static HttpResponse<String> get(int port, String path) {
        return send("GET", port, path, null);
    }

    public static HttpResponse<String> send(String method, int port, String path, String host) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(30))
                .method(method, method.equals("POST") || method.equals("PUT")
                        ? HttpRequest.BodyPublishers.ofString("body")
                        : HttpRequest.BodyPublishers.noBody());
        if (host != null) {
            b.header("Host", host);
        }
        try {
            return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A GET with extra request headers, given as name, value, name, value... */
    public static HttpResponse<String> get(int port, String path, String... headers) {
        try {
            return CLIENT.send(request(port, path, headers), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A GET sent without waiting for the answer. */
    public static CompletableFuture<HttpResponse<String>> getAsync(int port, String path) {
        return CLIENT.sendAsync(request(port, path), HttpResponse.BodyHandlers.ofString());
    }

    /** A GET whose body is read as it arrives; the future completes when the response headers are in. */
    public static CompletableFuture<HttpResponse<java.io.InputStream>> stream(int port, String path) {
        return CLIENT.sendAsync(request(port, path), HttpResponse.BodyHandlers.ofInputStream());
    }

    private static HttpRequest request(int port, String path, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(30))
                .GET();
        for (int i = 0; i + 1 < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return b.build();
    }

    /** The first word of a TestBackend's body: the name of the backend that answered. */
    public static String backendOf(HttpResponse<String> response) {
        return response.headers().firstValue("X-Backend").orElse("status " + response.statusCode());
    }
}
