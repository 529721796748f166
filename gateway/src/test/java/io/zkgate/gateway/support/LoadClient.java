package io.zkgate.gateway.support;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Real HTTP load for resilience tests: threads sending requests until stopped (or a deadline), counting successes
 * and every failure by its kind. Thread-safe.
 */
public final class LoadClient implements AutoCloseable {
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final List<Thread> threads = new ArrayList<>();
    private final LongAdder ok = new LongAdder();
    private final Map<String, AtomicInteger> failures = new ConcurrentHashMap<>();

    /**
     * @param method  GET, or POST (sent with a small body)
     * @param threads concurrent connections
     * @param pauseMs pause between a thread's requests
     */
    public LoadClient(int port, String path, String method, int threads, long pauseMs, Duration maxRun) {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(20))
                .method(method, method.equals("GET") ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString("payload"))
                .build();
        long deadline = System.nanoTime() + maxRun.toNanos();
        for (int i = 0; i < threads; i++) {
            Thread t = new Thread(() -> {
                while (running.get() && System.nanoTime() < deadline) {
                    try {
                        HttpResponse<String> r = client.send(request, HttpResponse.BodyHandlers.ofString());
                        if (r.statusCode() == 200) {
                            ok.increment();
                        } else {
                            failures.computeIfAbsent(method + " " + r.statusCode() + " " + r.body().trim(),
                                    k -> new AtomicInteger()).incrementAndGet();
                        }
                        if (pauseMs > 0) {
                            Thread.sleep(pauseMs);
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    } catch (Exception e) {
                        failures.computeIfAbsent(method + " " + e, k -> new AtomicInteger()).incrementAndGet();
                    }
                }
            }, "load-" + method + "-" + i);
            t.start();
            this.threads.add(t);
        }
    }

    public long ok() {
        return ok.sum();
    }

    public Map<String, AtomicInteger> failures() {
        return failures;
    }

    public int failureCount() {
        return failures.values().stream().mapToInt(AtomicInteger::get).sum();
    }

    @Override
    public void close() throws InterruptedException {
        running.set(false);
        for (Thread t : threads) {
            t.join(30_000);
        }
    }
}
