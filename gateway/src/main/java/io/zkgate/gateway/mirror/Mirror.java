package io.zkgate.gateway.mirror;

import io.zkgate.gateway.metrics.MirrorMetrics.Result;
import io.zkgate.gateway.proxy.UpstreamHttpClient;
import io.zkgate.gateway.routing.Decision;
import io.zkgate.gateway.routing.RouteMirror;
import io.zkgate.gateway.scripting.ScriptExchange;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.util.component.ContainerLifeCycle;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * Sends the copies of mirrored requests, fire-and-forget, for both front doors: the router decides whether a request
 * is copied and to which backend ({@link Decision.Forward#mirror()}); the front door hands over the request's head and,
 * when it has one, its body read whole (up to {@link #MAX_BODY_BYTES}, the same limit as bodies kept for retries).
 *
 * <p>Copies go out on this class's own Jetty {@link HttpClient} and thread pool, never on the client's connection or
 * event loop, so a mirror that hangs, fails or is slow costs the client nothing: its answer is read and dropped, its
 * failures are counted and never retried, and it does not count toward the mirror backend's ejection. Each copy lives
 * at most the route's {@code timeouts.responseMs}. At most {@code --mirror-max-in-flight} copies are under way at
 * once; beyond that a copy is dropped at once and counted ({@code zkgate_mirror_requests_total{result="dropped"}}),
 * so a stuck mirror cannot pile up memory or connections. Thread-safe.
 */
public final class Mirror extends ContainerLifeCycle {
    /** Bodies up to this size are copied; larger or streamed ones are not mirrored (counted as body_too_large). */
    public static final int MAX_BODY_BYTES = 64 * 1024;

    /** Hop-by-hop headers (RFC 9110, 7.6.1) and those the gateway sets itself; never copied. */
    private static final Set<String> NOT_COPIED = Set.of("connection", "keep-alive", "proxy-connection", "te",
            "trailer", "transfer-encoding", "upgrade", "host", "x-forwarded-for", "x-forwarded-proto",
            "x-forwarded-host", "content-length", "expect");

    private final HttpClient client;
    private final int maxInFlight;
    private final AtomicInteger inFlight = new AtomicInteger();

    /**
     * @param maxInFlight      copies under way at once; more are dropped and counted
     * @param connectTimeoutMs how long connecting to a mirror backend may take
     */
    public Mirror(int maxInFlight, long connectTimeoutMs) {
        this.maxInFlight = maxInFlight;
        QueuedThreadPool threads = new QueuedThreadPool(8, 1);
        threads.setName("zkgate-mirror");
        threads.setDaemon(true);
        client = UpstreamHttpClient.overHttp11();
        client.setExecutor(threads);
        client.setName("zkgate-mirror");
        client.setFollowRedirects(false);
        client.setConnectTimeout(connectTimeoutMs);
        client.setMaxConnectionsPerDestination(maxInFlight);
        client.setMaxRequestsQueuedPerDestination(maxInFlight);
        client.setUserAgentField(null);
        addBean(client);
    }

    /** Copies under way now. */
    public int inFlight() {
        return inFlight.get();
    }

    /**
     * Sends the copy of {@code forward}'s request to its mirror backend, unless too many are under way.
     *
     * @param forward       the first attempt of a mirrored request ({@code forward.mirror()} is not null)
     * @param headers       the client's request headers, as received
     * @param clientAddress the client's address, for X-Forwarded-For
     * @param body          the whole request body, or null for none
     */
    public void send(Decision.Forward forward, String method, String query, HttpFields headers, String clientAddress,
            byte[] body) {
        RouteMirror mirror = forward.route().mirror();
        if (inFlight.incrementAndGet() > maxInFlight || !isRunning()) {
            inFlight.decrementAndGet();
            mirror.count(Result.DROPPED);
            return;
        }
        Request request;
        try {
            request = client.newRequest(forward.mirrorTarget(query)).method(method);
        } catch (RuntimeException e) {
            inFlight.decrementAndGet();
            mirror.count(Result.ERROR);
            return;
        }
        HttpFields.Mutable copy = HttpFields.build(headers.size() + 4);
        for (HttpField field : headers) {
            if (!NOT_COPIED.contains(field.getLowerCaseName())) {
                copy.add(field);
            }
        }
        String priorFor = headers.get(HttpHeader.X_FORWARDED_FOR);
        copy.put(HttpHeader.X_FORWARDED_FOR, priorFor == null ? clientAddress : priorFor + ", " + clientAddress);
        copy.put(HttpHeader.X_FORWARDED_PROTO, "http");
        String host = headers.get(HttpHeader.HOST);
        if (host != null) {
            copy.put(HttpHeader.X_FORWARDED_HOST, host);
        }
        ScriptExchange script = forward.script();
        if (script != null && script.hasHeaderEdits()) {
            script.applyHeaderEdits(copy);
        }
        long timeoutMs = forward.route().responseTimeoutMs();
        request.headers(h -> h.add(copy))
                .timeout(timeoutMs, TimeUnit.MILLISECONDS)
                .idleTimeout(timeoutMs, TimeUnit.MILLISECONDS);
        if (body != null) {
            request.body(new BytesRequestContent(body));
        }
        request.send(result -> {
            inFlight.decrementAndGet();
            if (result.getResponse() != null && result.getResponse().getStatus() > 0 && !result.isFailed()) {
                mirror.count(Result.of(result.getResponse().getStatus()));
            } else if (timedOut(result.getFailure())) {
                mirror.count(Result.TIMEOUT);
            } else {
                mirror.count(Result.ERROR);
            }
        });
    }

    /** Counts a copy the front door could not make: its body is over {@link #MAX_BODY_BYTES} or streamed. */
    public static void bodyNotCopied(Decision.Forward forward) {
        forward.route().mirror().count(Result.BODY_TOO_LARGE);
    }

    private static boolean timedOut(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof TimeoutException || String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT)
                    .contains("timeout")) {
                return true;
            }
        }
        return false;
    }
}
