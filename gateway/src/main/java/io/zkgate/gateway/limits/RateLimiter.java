package io.zkgate.gateway.limits;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import io.zkgate.gateway.fleet.FleetSize;
import io.zkgate.gateway.routing.RequestView;
import io.zkgate.schema.TrafficLimits;
import java.time.Duration;
import java.util.function.Function;

/**
 * One {@code rateLimit} of a route: its buckets, one per key value (client address, header value) in a Caffeine cache
 * bounded to {@code maxKeys} entries, or a single bucket for {@code key: route}. An idle key is evicted once its
 * bucket would be full again, which loses nothing (a new bucket starts full); only when more than {@code maxKeys}
 * keys are active at once can an evicted key come back with a full bucket early. Entries expire a fixed time after
 * they were written, not after their last read: a read-ordered cache does bookkeeping on every lookup (a read buffer,
 * access times, reordering), a write-ordered one does none while it is less than half full. A check rewrites its
 * key's entry (rarely: once per idle timeout less the bucket's refill time) when the entry would otherwise expire
 * less than a second after the bucket is full again, so an active key is never evicted. The cache's upkeep (eviction)
 * runs on Caffeine's default executor, not on the request's thread. A fleet-scoped limit divides its
 * rate and burst by the live gateways on each check, so a change of the fleet applies to the very next request.
 * A check for a held key costs one clock read, one cache lookup (which reads the {@link RequestClock} the check
 * moves, not the clock again) and one compare-and-set, and allocates nothing: the share's interval and burst are
 * worked out once per fleet size, not per request.
 * Thread-safe: Caffeine's cache, lock-free buckets and an immutable share swapped through a volatile field.
 */
public final class RateLimiter {
    /** The bucket requests without the key header share; no header value can hold a NUL. */
    static final String MISSING = "\0missing";
    /** Key values longer than this are kept as a 64-bit hash, so that a key costs the same whatever its length. */
    static final int MAX_KEY_CHARS = 64;
    private static final Function<String, TokenBucket> NEW_BUCKET = k -> new TokenBucket();
    /** An entry is rewritten when it would expire less than this after its bucket is full again. */
    private static final long RENEW_MARGIN_NANOS = 1_000_000_000L;

    private final TrafficLimits.RateLimit limit;
    private final TrafficLimits.Key.Kind kind;
    private final String header;
    private final boolean fleetScoped;
    private final FleetSize fleet;
    private final long intervalNanos;
    private final RequestClock clock;
    /** How long after its last write a key's entry expires. */
    private final long idleTimeoutNanos;
    private final Cache<String, TokenBucket> buckets;
    private final TokenBucket single;
    /** The last share a check used; replaced (rarely) when the fleet's size changes. */
    private volatile Share current;

    /**
     * @param fleet   the live gateway count, for a fleet-scoped limit
     * @param maxKeys the most keys kept at once
     * @param ticker  Caffeine's clock for idle eviction, {@link Ticker#systemTicker()} but in tests
     */
    public RateLimiter(TrafficLimits.RateLimit limit, FleetSize fleet, int maxKeys, Ticker ticker) {
        this.limit = limit;
        this.kind = limit.key().kind();
        this.header = limit.key().header();
        this.fleetScoped = limit.scope() == TrafficLimits.Scope.FLEET;
        this.fleet = fleet;
        this.intervalNanos = Math.max(1, Math.round(1e9 / limit.requestsPerSecond()));
        this.clock = new RequestClock(ticker);
        this.current = share(1);
        this.idleTimeoutNanos = idleTimeout(intervalNanos, limit.burst()).toNanos();
        if (kind == TrafficLimits.Key.Kind.ROUTE) {
            this.buckets = null;
            this.single = new TokenBucket();
        } else {
            this.buckets = Caffeine.newBuilder()
                    .maximumSize(maxKeys)
                    .expireAfterWrite(Duration.ofNanos(idleTimeoutNanos))
                    .ticker(clock)
                    .build();
            this.single = null;
        }
    }

    /**
     * How long a key may stay idle: twice the time its bucket takes to fill up from empty, plus a second (a bucket
     * untouched that long is full, whatever the fleet's share, so evicting it changes nothing), at most a day.
     */
    static Duration idleTimeout(long intervalNanos, int burst) {
        double fill = (double) intervalNanos * burst;
        return Duration.ofNanos((long) Math.min(2 * fill + 1e9, Duration.ofDays(1).toNanos()));
    }

    public TrafficLimits.RateLimit limit() {
        return limit;
    }

    /** The key value {@code request} is counted under. */
    public String key(RequestView request) {
        return switch (kind) {
            case ROUTE -> null;
            case CLIENT_IP -> bounded(request.clientIp()); // through the trusted proxies, as everywhere
            case HEADER -> {
                String value = request.header(header);
                yield value == null ? MISSING : bounded(value);
            }
        };
    }

    private static String bounded(String key) {
        return key.length() <= MAX_KEY_CHARS ? key : "#" + Long.toHexString(hash64(key));
    }

    /** FNV-1a over the chars, then murmur3's finalizer: 64 bits, so that millions of long keys hardly collide. */
    static long hash64(String s) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < s.length(); i++) {
            h = (h ^ s.charAt(i)) * 0x100000001b3L;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        return h ^ (h >>> 33);
    }

    /**
     * Takes a token of {@code key}'s bucket.
     *
     * @return 0 when allowed, else nanoseconds until a request of that key would be allowed
     */
    public long take(String key, long now) {
        Share s = currentShare();
        if (key == null || buckets == null) {
            return single.take(now, s.intervalNanos, s.limitNanos);
        }
        clock.saw(now);
        TokenBucket b = buckets.get(key, NEW_BUCKET);
        long wait = b.take(now, s.intervalNanos, s.limitNanos);
        long written = b.written;
        if (written == 0) {
            b.written = clock.read(); // just created: the cache wrote it at about this time
        } else if (now + b.nanosUntilFull(now) + RENEW_MARGIN_NANOS > written + idleTimeoutNanos) {
            b.written = clock.read();
            buckets.put(key, b); // a rewrite moves the entry's expiry on
        }
        return wait;
    }

    /** Gives back the token {@link #take} took for {@code key}. */
    public void giveBack(String key) {
        TokenBucket b = key == null ? single : buckets.getIfPresent(key);
        if (b != null) {
            b.giveBack(currentShare().intervalNanos);
        }
    }

    /** Nanoseconds until {@code key}'s bucket is full again. */
    public long nanosUntilFull(String key, long now) {
        TokenBucket b = key == null ? single : buckets.getIfPresent(key);
        return b == null ? 0 : b.nanosUntilFull(now);
    }

    private Share currentShare() {
        Share s = current;
        if (fleetScoped) {
            int live = fleet.live();
            if (s.gateways != live) {
                s = share(live);
                current = s;
            }
        }
        return s;
    }

    private Share share(int gateways) {
        long interval = intervalNanos * gateways;
        return new Share(gateways, interval, interval * burst(gateways));
    }

    /** What this gateway enforces: 1 for a gateway-scoped limit, else the live gateways. */
    public int share() {
        return fleetScoped ? fleet.live() : 1;
    }

    /** This gateway's burst: the limit's, divided by {@code share} and rounded up (at least 1). */
    public int burst(int share) {
        return (limit.burst() + share - 1) / share;
    }

    /** This gateway's sustained rate: the limit's divided by {@code share}. */
    public double requestsPerSecond(int share) {
        return limit.requestsPerSecond() / share;
    }

    /** Keys held now (an estimate, as Caffeine gives it); 1 for {@code key: route}. */
    public long keys() {
        return buckets == null ? 1 : buckets.estimatedSize();
    }

    /** Runs pending evictions now (tests, the admin view). */
    public void cleanUp() {
        if (buckets != null) {
            clock.catchUp();
            buckets.cleanUp();
        }
    }

    /** A bucket's parameters for one fleet size: the interval between tokens and how far from full it may go. */
    private record Share(int gateways, long intervalNanos, long limitNanos) {
    }
}
