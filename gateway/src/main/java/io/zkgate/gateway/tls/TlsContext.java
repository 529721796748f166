package io.zkgate.gateway.tls;

import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;
import io.zkgate.config.GatewaySettings;
import io.zkgate.gateway.metrics.MetricNames;
import java.io.Closeable;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TLS listener's Jetty {@link SslContextFactory.Server}: TLS 1.3 and 1.2 only with a modern cipher list, every
 * configured certificate in one key store so Jetty picks one by SNI, and an interval reload ({@link FileReloads}):
 * every {@code --tls-reload-interval-ms} the files are read again, and when their contents changed and the new set
 * loads cleanly, {@link SslContextFactory#reload} swaps it in for new handshakes while open connections keep theirs. A
 * set that fails to load is logged once and the previous one keeps serving. Each certificate's remaining lifetime is
 * the gauge {@code zkgate_tls_certificate_expiry_seconds{certificate,source}}, and one warning is logged per
 * certificate that enters the last {@code --tls-expiry-warning-days}. The JSSE provider is the JDK's or Conscrypt's
 * ({@link TlsProvider}); both take the same standard protocol and cipher suite names.
 * Thread-safe: the reload runs on the reload thread; readers see the current set through one volatile field.
 */
public final class TlsContext implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(TlsContext.class);
    static final String EXPIRY_METRIC = "zkgate_tls_certificate_expiry_seconds";
    /** TLS 1.3 suites, then Mozilla's "intermediate" TLS 1.2 suites: forward secret AEAD only. */
    static final String[] CIPHER_SUITES = {
        "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"};
    static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

    private final GatewaySettings.Tls settings;
    private final TlsProvider provider;
    private final SslContextFactory.Server factory = new SslContextFactory.Server();
    private final MetricRegistry registry;
    private final Set<String> gauges = new HashSet<>();
    private final Set<String> warned = new HashSet<>();
    private final FileReloads.Watched files;
    private final FileReloads.Scheduled reloading;
    private volatile TlsCertificates current;

    private TlsContext(GatewaySettings.Tls settings, TlsProvider provider, TlsCertificates first,
            MetricRegistry registry, FileReloads reloads) {
        this.settings = settings;
        this.provider = provider;
        this.registry = registry;
        this.current = first;
        factory.setProvider(provider.jsseName());
        factory.setKeyStore(first.keyStore());
        factory.setKeyStorePassword(TlsCertificates.STORE_PASSWORD);
        factory.setKeyManagerPassword(TlsCertificates.STORE_PASSWORD);
        factory.setIncludeProtocols(PROTOCOLS);
        factory.setIncludeCipherSuites(CIPHER_SUITES);
        factory.setUseCipherSuitesOrder(true);
        factory.setRenegotiationAllowed(false);
        // A gateway serves many host names: a client naming none, or another, gets the first certificate.
        factory.setSniRequired(false);
        published(first);
        files = new FileReloads.Watched("TLS certificates", TlsCertificates.files(settings), this::reload);
        reloading = reloads.every(this::check);
    }

    /**
     * Loads the configured certificates and builds the factory.
     *
     * @param registry where the expiry gauges go
     * @param reloads  the gateway's reload schedule ({@code --tls-reload-interval-ms})
     * @throws TlsCertificates.TlsException a certificate or key cannot be served (one line: file and reason)
     */
    public static TlsContext start(GatewaySettings.Tls settings, MetricRegistry registry, FileReloads reloads)
            throws TlsCertificates.TlsException {
        TlsCertificates first = TlsCertificates.load(settings, Instant.now());
        TlsContext context = new TlsContext(settings, TlsProvider.choose(settings.provider()), first, registry,
                reloads);
        log.info("TLS: {} certificate(s) loaded, provider {}: {}", first.certificates().size(),
                context.provider.name(), describe(first));
        return context;
    }

    public SslContextFactory.Server factory() {
        return factory;
    }

    /** The JSSE provider serving the listener: the one asked for, or the JDK's when Conscrypt could not load. */
    public TlsProvider provider() {
        return provider;
    }

    /** The certificates served now. */
    public TlsCertificates current() {
        return current;
    }

    /** Reads the files again and reloads when they changed; called on the reload thread (tests may call it). */
    public synchronized void check() {
        files.check();
        warnExpiring(current);
    }

    private String reload() throws Exception {
        TlsCertificates next = TlsCertificates.load(settings, Instant.now());
        factory.reload(f -> f.setKeyStore(next.keyStore()));
        current = next;
        published(next);
        return describe(next);
    }

    private void published(TlsCertificates set) {
        Set<String> names = new HashSet<>();
        for (TlsCertificates.Loaded c : set.certificates()) {
            String name = MetricNames.tagged(EXPIRY_METRIC, "certificate", c.name(), "source", c.source());
            names.add(name);
            if (gauges.add(name)) {
                registry.gauge(name, () -> (Gauge<Long>) () -> secondsLeft(c.name(), c.source()));
            }
        }
        for (String stale : List.copyOf(gauges)) {
            if (!names.contains(stale)) {
                registry.remove(stale);
                gauges.remove(stale);
            }
        }
        warnExpiring(set);
    }

    private long secondsLeft(String name, String source) {
        for (TlsCertificates.Loaded c : current.certificates()) {
            if (c.name().equals(name) && c.source().equals(source)) {
                return Duration.between(Instant.now(), c.notAfter()).getSeconds();
            }
        }
        return 0;
    }

    private void warnExpiring(TlsCertificates set) {
        Instant soon = Instant.now().plus(Duration.ofDays(settings.expiryWarningDays()));
        for (TlsCertificates.Loaded c : set.certificates()) {
            if (c.notAfter().isBefore(soon) && warned.add(c.source() + "@" + c.notAfter())) {
                log.warn("TLS certificate {} from {} expires on {} (in {} h): renew it; the new files are picked up "
                        + "without a restart", c.name(), c.source(), c.notAfter(),
                        Duration.between(Instant.now(), c.notAfter()).toHours());
            }
        }
    }

    private static String describe(TlsCertificates set) {
        StringBuilder sb = new StringBuilder();
        for (TlsCertificates.Loaded c : set.certificates()) {
            sb.append(sb.length() == 0 ? "" : ", ").append(c.name()).append(" (until ").append(c.notAfter())
                    .append(')');
        }
        return sb.toString();
    }

    @Override
    public void close() {
        reloading.close();
        for (String name : gauges) {
            registry.remove(name);
        }
    }
}
