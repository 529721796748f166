package io.zkgate.gateway.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The tests' one real HTTP client (the JDK's, HTTP/1.1) for the proxy port and the admin port alike, with short
 * helpers for admin JSON and Prometheus samples. Thread-safe.
 */
public final class Http {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient CLIENT = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    private Http() {}

    /** A GET with extra request headers, given as name, value, name, value... */
    public static HttpResponse<String> get(int port, String path, String... headers) {
        return send(request("GET", port, path, headers).build());
    }

    /** A request with {@code headers}; POST and PUT carry the body {@code body}. */
    public static HttpResponse<String> send(String method, int port, String path, Map<String, String> headers) {
        HttpRequest.Builder b = request(method, port, path);
        headers.forEach(b::header);
        return send(b.build());
    }

    /** A GET sent without waiting for the answer. */
    public static CompletableFuture<HttpResponse<String>> getAsync(int port, String path) {
        return CLIENT.sendAsync(request("GET", port, path).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A GET whose body is read as it arrives; the future completes when the response headers are in. */
    public static CompletableFuture<HttpResponse<InputStream>> stream(int port, String path) {
        return CLIENT.sendAsync(request("GET", port, path).build(), HttpResponse.BodyHandlers.ofInputStream());
    }

    /** The name of the TestBackend that answered (its {@code X-Backend} header), else the status. */
    public static String backendOf(HttpResponse<String> response) {
        return response.headers().firstValue("X-Backend").orElse("status " + response.statusCode());
    }

    /** An admin endpoint's JSON body; fails unless it answered 200. */
    public static JsonNode json(int adminPort, String path) {
        HttpResponse<String> r = get(adminPort, path);
        if (r.statusCode() != 200) {
            throw new AssertionError(path + " answered " + r.statusCode() + ": " + r.body());
        }
        try {
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The admin port's {@code /metrics} page now. */
    public static String metrics(int adminPort) {
        return get(adminPort, "/metrics").body();
    }

    /** The value of one Prometheus sample line {@code name{labels} value}, or null when absent. */
    public static Double sample(String metrics, String nameWithLabels) {
        for (String line : metrics.replace(",}", "}").split("\n")) {
            if (line.startsWith(nameWithLabels + " ")) {
                return Double.parseDouble(line.substring(nameWithLabels.length() + 1).trim());
            }
        }
        return null;
    }

    /** One sample scraped from the admin port's /metrics now, or null when absent. */
    public static Double metric(int adminPort, String nameWithLabels) {
        return sample(metrics(adminPort), nameWithLabels);
    }

    private static HttpRequest.Builder request(String method, int port, String path, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(30))
                .method(method, method.equals("POST") || method.equals("PUT")
                        ? HttpRequest.BodyPublishers.ofString("body")
                        : HttpRequest.BodyPublishers.noBody());
        for (int i = 0; i + 1 < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return b;
    }

    private static HttpResponse<String> send(HttpRequest request) {
        try {
            return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
