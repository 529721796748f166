package io.zkgate.gateway.support;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Offered load at a fixed rate for a fixed time: one GET every {@code 1/perSecond} seconds, sent without waiting for
 * the answer (at most 256 under way; a slot that finds 256 is counted as skipped), answers counted by status. For
 * rate-limit tests, which need a known offered rate, not the most a client can send. Thread-safe.
 */
public final class PacedLoad {
    private static final int MAX_IN_FLIGHT = 256;

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();
    private final Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
    private final Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
    private final AtomicInteger skipped = new AtomicInteger();
    private final Thread sender;

    private PacedLoad(int port, String path, double perSecond, Duration duration) {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).GET().build();
        long interval = (long) (1e9 / perSecond);
        long requests = (long) (duration.toNanos() / (double) interval);
        sender = new Thread(() -> {
            long start = System.nanoTime();
            for (long i = 0; i < requests; i++) {
                long wait = start + i * interval - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
                if (!inFlight.tryAcquire()) {
                    skipped.incrementAndGet();
                    continue;
                }
                client.sendAsync(request, HttpResponse.BodyHandlers.discarding()).whenComplete((r, e) -> {
                    statuses.computeIfAbsent(e == null ? r.statusCode() : -1, k -> new AtomicInteger())
                            .incrementAndGet();
                    inFlight.release();
                });
            }
        }, "paced-load-" + port);
        sender.setDaemon(true);
        sender.start();
    }

    /** Starts sending GETs of {@code path} to 127.0.0.1:{@code port} at {@code perSecond} for {@code duration}. */
    public static PacedLoad start(int port, String path, double perSecond, Duration duration) {
        return new PacedLoad(port, path, perSecond, duration);
    }

    /** Waits until the last request was sent and every answer is in (a generous bound). */
    public PacedLoad await() throws InterruptedException {
        sender.join(TimeUnit.MINUTES.toMillis(5));
        if (!inFlight.tryAcquire(MAX_IN_FLIGHT, 30, TimeUnit.SECONDS)) {
            throw new AssertionError("answers still missing 30 s after the last request: " + this);
        }
        inFlight.release(MAX_IN_FLIGHT);
        return this;
    }

    /** Answers with {@code status} (-1: the request failed without an answer). */
    public int count(int status) {
        AtomicInteger n = statuses.get(status);
        return n == null ? 0 : n.get();
    }

    /** Slots not sent because 256 requests were still under way. */
    public int skipped() {
        return skipped.get();
    }

    @Override
    public String toString() {
        Map<Integer, Integer> counts = new TreeMap<>();
        statuses.forEach((k, v) -> counts.put(k, v.get()));
        return "statuses " + counts + ", skipped " + skipped.get();
    }
}
