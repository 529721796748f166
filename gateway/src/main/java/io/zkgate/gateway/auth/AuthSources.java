package io.zkgate.gateway.auth;

import io.zkgate.gateway.metrics.GatewayMetrics;
import io.zkgate.gateway.routing.RouteGuard;
import io.zkgate.schema.Auth;
import io.zkgate.schema.Route;
import io.zkgate.schema.ZnodeLayout;
import java.io.Closeable;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.curator.framework.CuratorFramework;

/**
 * What route authentication reads besides the route itself, shared by every route and route version of a gateway:
 * the credential sets and pinned key sets watched in ZooKeeper, the key sets fetched from issuers' URLs (one per URL,
 * kept across route edits), the background threads that fetch keys and run bcrypt off the request path, and the
 * cache of verified passwords. {@link #guards} builds a route's authentication guard from these.
 * Thread-safe: the watched state is swapped by reference, the rest is concurrent.
 */
public final class AuthSources implements Closeable {
    /** Largest number of bcrypt checks waiting for a background thread; more are answered "retry shortly". */
    private static final int PASSWORD_QUEUE = 64;

    private final CredentialStore credentials;
    private final JwksZnodes pinnedKeys;
    private final GatewayMetrics metrics;
    private final Map<String, RemoteJwks> remoteKeys = new ConcurrentHashMap<>();
    private final ExecutorService fetches;
    private final ThreadPoolExecutor passwordChecks;
    /** Made on first use: a JDK client starts a selector thread, which a gateway without JWKS URLs never needs. */
    private HttpClient http;
    private final VerifiedPasswords verified = new VerifiedPasswords(10_000);

    /** @param layout where credential sets and pinned key sets live; null for none (tests without ZooKeeper) */
    public AuthSources(ZnodeLayout layout, GatewayMetrics metrics) {
        this.metrics = metrics;
        this.credentials = new CredentialStore(layout == null ? null : layout.credentialsPath());
        this.pinnedKeys = new JwksZnodes(layout == null ? null : layout.jwksPath());
        this.fetches = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(256),
                daemon("zkgate-jwks-fetch"), new ThreadPoolExecutor.DiscardPolicy());
        this.passwordChecks = new ThreadPoolExecutor(2, 2, 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(PASSWORD_QUEUE), daemon("zkgate-bcrypt"),
                new ThreadPoolExecutor.AbortPolicy());
    }

    /** Starts watching the credential and key-set znodes. */
    public void start(CuratorFramework client) {
        credentials.start(client);
        pinnedKeys.start(client);
    }

    /** The route's authentication guard, or none when the route has no {@code auth}; called per route version. */
    public List<RouteGuard> guards(Route route) {
        Auth auth = route.auth();
        if (auth == null) {
            return List.of();
        }
        AuthRejections rejections = new AuthRejections(metrics, route.id());
        if (auth.apiKey() != null) {
            return List.of(new ApiKeyGuard(auth.apiKey(), credentials, rejections));
        }
        if (auth.basic() != null) {
            return List.of(new BasicAuthGuard(auth.basic(), credentials, verified, passwordChecks, rejections));
        }
        Auth.Jwt jwt = auth.jwt();
        KeySource keys = jwt.jwksZnode() != null ? pinnedKeys.source(jwt.jwksZnode()) : remote(jwt);
        return List.of(new JwtGuard(jwt, keys, rejections));
    }

    private RemoteJwks remote(Auth.Jwt jwt) {
        String key = jwt.jwksUri() + " " + jwt.refreshSeconds() + " " + jwt.minRefreshSeconds();
        return remoteKeys.computeIfAbsent(key, k -> new RemoteJwks(URI.create(jwt.jwksUri()), http(), fetches,
                TimeUnit.SECONDS.toNanos(jwt.refreshSeconds()), TimeUnit.SECONDS.toNanos(jwt.minRefreshSeconds())));
    }

    private synchronized HttpClient http() {
        if (http == null) {
            http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2))
                    .followRedirects(HttpClient.Redirect.NEVER).build();
        }
        return http;
    }

    @Override
    public void close() {
        credentials.close();
        pinnedKeys.close();
        fetches.shutdownNow();
        passwordChecks.shutdownNow();
    }

    private static ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
