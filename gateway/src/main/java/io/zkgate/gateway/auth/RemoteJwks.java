package io.zkgate.gateway.auth;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A key set fetched from an issuer's JWKS URL, never on the request path: requests read the cached set, and a fetch
 * runs on a background thread when the set is older than the refresh interval or a token names an unknown key id;
 * fetches are at least the minimum interval apart and one at a time, so a flood of made-up key ids costs the issuer
 * one request per interval. A failed fetch (issuer down, bad document) keeps the last good set serving. A token
 * signed with a key that just rotated in is therefore refused until the fetch it triggered lands (a fraction of a
 * second with a reachable issuer), rather than held on an event loop.
 * Thread-safe: the set is one volatile reference, fetches are single-flight.
 */
final class RemoteJwks implements KeySource {
    private static final Logger log = LoggerFactory.getLogger(RemoteJwks.class);
    /** A key set is a few KB; this bounds what a broken or hostile URL can make the gateway hold. */
    private static final int MAX_BYTES = 1 << 20;

    private final URI uri;
    private final HttpClient http;
    private final Executor executor;
    private final long refreshNanos;
    private final long minRefreshNanos;
    private final AtomicBoolean fetching = new AtomicBoolean();
    private volatile JWKSet keys = new JWKSet();
    private volatile long fetchedNanos;
    private volatile long attemptedNanos;
    private volatile boolean loaded;
    /** Whether the last fetch failed; for logging once per change. Written by the fetching thread only. */
    private boolean failing;

    RemoteJwks(URI uri, HttpClient http, Executor executor, long refreshNanos, long minRefreshNanos) {
        this.uri = uri;
        this.http = http;
        this.executor = executor;
        this.refreshNanos = refreshNanos;
        this.minRefreshNanos = minRefreshNanos;
        long now = System.nanoTime();
        this.fetchedNanos = now - refreshNanos;
        this.attemptedNanos = now - minRefreshNanos;
        fetchIfDue(true);
    }

    @Override
    public JWKSet keys() {
        if (System.nanoTime() - fetchedNanos >= refreshNanos) {
            fetchIfDue(false);
        }
        return keys;
    }

    @Override
    public void unknownKey() {
        fetchIfDue(true);
    }

    private void fetchIfDue(boolean unknownKey) {
        long now = System.nanoTime();
        boolean due = now - attemptedNanos >= minRefreshNanos
                && (unknownKey || !loaded || now - fetchedNanos >= refreshNanos);
        if (due && fetching.compareAndSet(false, true)) {
            attemptedNanos = now;
            try {
                executor.execute(this::fetch);
            } catch (RuntimeException e) {
                fetching.set(false); // shutting down
            }
        }
    }

    private void fetch() {
        try {
            HttpResponse<InputStream> response = http.send(HttpRequest.newBuilder(uri)
                    .timeout(Duration.ofSeconds(5)).header("Accept", "application/json").GET().build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            String body;
            try (InputStream in = response.body()) {
                byte[] bytes = in.readNBytes(MAX_BYTES + 1);
                if (bytes.length > MAX_BYTES) {
                    throw new IOException("larger than " + MAX_BYTES + " bytes");
                }
                body = new String(bytes, StandardCharsets.UTF_8);
            }
            if (response.statusCode() != 200) {
                throw new IOException("HTTP " + response.statusCode());
            }
            JWKSet set = JWKSet.parse(body);
            if (set.isEmpty()) {
                throw new IOException("no keys in the set");
            }
            boolean changed = !set.getKeys().equals(keys.getKeys());
            if (changed) {
                keys = set; // an unchanged set keeps its identity, which the guards' verified-token caches key on
            }
            fetchedNanos = System.nanoTime();
            loaded = true;
            if (changed || failing) {
                log.info("JWKS from {}: {} keys ({})", uri, set.size(), set.getKeys().stream().map(JWK::getKeyID)
                        .map(String::valueOf).collect(Collectors.joining(", ")));
            }
            failing = false;
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            if (!failing) {
                log.warn("JWKS from {} could not be fetched ({}); {}", uri, e.toString(), loaded
                        ? "the last good " + keys.size() + " keys keep serving" : "tokens are refused until it can");
            }
            failing = true;
        } finally {
            fetching.set(false);
        }
    }
}
