package io.zkgate.agent;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** {@link HealthCheck#http}: one GET per check, 2xx is healthy. Thread-safe (the JDK client is). */
final class HttpHealthCheck implements HealthCheck {
    private final URI url;
    private final Duration timeout;
    private final HttpClient client;

    HttpHealthCheck(URI url, Duration timeout) {
        this.url = url;
        this.timeout = timeout;
        this.client = HttpClient.newBuilder()
                .connectTimeout(timeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .version(HttpClient.Version.HTTP_1_1)
                .build();
    }

    @Override
    public boolean check() throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(url).timeout(timeout).GET().build();
        HttpResponse<Void> response = client.send(request, HttpResponse.BodyHandlers.discarding());
        int status = response.statusCode();
        if (status < 200 || status > 299) {
            throw new IOException("GET " + url + " answered " + status);
        }
        return true;
    }

    @Override
    public String toString() {
        return "GET " + url;
    }
}
