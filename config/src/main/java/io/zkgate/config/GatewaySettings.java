package io.zkgate.config;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Typed gateway settings. Build with {@link #load}; every field has a documented default. Immutable.
 *
 * @param host                        address the proxy listens on
 * @param port                        proxy port, 0 for any free port
 * @param adminHost                   address the admin server listens on
 * @param adminPort                   admin port, 0 for any free port
 * @param zkConnect                   ZooKeeper connect string; empty to start the embedded ZooKeeper
 * @param zkSessionTimeoutMs          ZooKeeper session timeout
 * @param zkConnectionTimeoutMs       ZooKeeper connection timeout
 * @param zkgateRoot                  root of zkgate's routes, scripts and gateways
 * @param servicesRoot                curator-x-discovery base path of registered services
 * @param embeddedZkPort              port of the embedded ZooKeeper
 * @param dataDir                     data directory; the embedded ZooKeeper keeps its data in {@code zookeeper/} inside
 * @param upstreamMaxConnections      pooled connections per backend
 * @param upstreamIdleTimeoutMs       idle time after which a pooled upstream connection is closed
 * @param upstreamConnectTimeoutMs    default upstream connect timeout (routes may set their own)
 * @param upstreamResponseTimeoutMs   default time for a whole upstream exchange (routes may set their own)
 * @param emptyServiceGraceMs         how long a service that lost its last instance keeps its previous instances
 * @param shutdownTimeoutMs           how long shutdown waits for in-flight requests
 * @param demo                        start two demo backends and route {@code /demo/} to them
 * @param adminToken                  bearer token for the admin API, or empty for none (required off loopback)
 * @param gatewayId                   this gateway's id in the fleet view; empty: host name and proxy port
 * @param accessLog                   access log file, {@code stdout}, or empty for none
 * @param metrics                     whether request metrics are recorded
 * @param zkAuth                      {@code user:password} for ZooKeeper digest authentication, or empty
 * @param maxRequestHeaderBytes       largest request line and headers accepted; larger ones get 431
 * @param maxBodyBytes                default largest request body; larger ones get 413 (routes may set their own)
 * @param clientIdleTimeoutMs         a client connection idle this long is closed (slow or stalled clients)
 * @param scriptInstructionLimit      Lua instructions a route script may run per call before it is stopped
 * @param upstreamRetries             default retries on another backend for routes without {@code retries}
 * @param retryBudgetPercent          retries a route may make as a share of its requests (over ten seconds)
 * @param retryBudgetMinimum          retries a route may make besides that share
 * @param outlierConsecutiveFailures  failures in a row that eject a backend (0: never)
 * @param outlierBaseEjectionMs       first ejection's length; it doubles with each further ejection
 * @param outlierMaxEjectionMs        longest ejection
 * @param outlierMaxEjectionPercent   most of a service's backends that may be ejected at once
 * @param panicThresholdPercent       below this share of healthy backends, traffic spreads over all of them
 * @param threads                     most threads in the pool that serves clients and upstream connections alike
 * @param minThreads                  threads the pool keeps even when idle
 * @param reservedThreads             idle threads kept ready for Jetty's selectors to hand work to; -1: Jetty's choice
 * @param backendMetricsRetentionMs   how long a backend gone from its service keeps its metric series
 * @param durationSummaries           whether the deprecated duration summaries are exported beside the histograms
 * @param shutdownDelayMs             on SIGTERM, how long /ready answers 503 while the gateway still serves
 * @param websocketIdleTimeoutMs      a WebSocket tunnel silent this long in both directions is closed
 * @param engine                      the proxy's data path: {@code loop} (event loops on Jetty's I/O layer) or
 *                                    {@code servlet} (Jetty's async proxy servlet)
 * @param eventLoops                  event loops of the {@code loop} engine, one thread each
 * @param acceptQueue                 connections the kernel holds for the proxy ports before the gateway accepts
 *                                    them (the listen backlog; a burst past it waits out a SYN retransmission)
 * @param trustedProxies              CIDRs of proxies in front of the gateway whose X-Forwarded-For is believed
 * @param requestIds                  whether requests get an X-Request-Id and a W3C trace context hop
 * @param rateLimitMaxKeys            keys (client addresses, header values) one keyed rate limit keeps at most
 * @param mirrorMaxInFlight           mirrored copies under way at once, all routes; more are dropped and counted
 * @param tls                         the TLS listener and HTTP/2 at the front
 * @param otel                        OpenTelemetry export of one span per request (off by default)
 */
public record GatewaySettings(
        String host,
        int port,
        String adminHost,
        int adminPort,
        String zkConnect,
        int zkSessionTimeoutMs,
        int zkConnectionTimeoutMs,
        String zkgateRoot,
        String servicesRoot,
        int embeddedZkPort,
        Path dataDir,
        int upstreamMaxConnections,
        int upstreamIdleTimeoutMs,
        int upstreamConnectTimeoutMs,
        int upstreamResponseTimeoutMs,
        int emptyServiceGraceMs,
        int shutdownTimeoutMs,
        boolean demo,
        String adminToken,
        String gatewayId,
        String accessLog,
        boolean metrics,
        String zkAuth,
        int maxRequestHeaderBytes,
        long maxBodyBytes,
        int clientIdleTimeoutMs,
        int scriptInstructionLimit,
        int upstreamRetries,
        int retryBudgetPercent,
        int retryBudgetMinimum,
        int outlierConsecutiveFailures,
        int outlierBaseEjectionMs,
        int outlierMaxEjectionMs,
        int outlierMaxEjectionPercent,
        int panicThresholdPercent,
        int threads,
        int minThreads,
        int reservedThreads,
        int backendMetricsRetentionMs,
        boolean durationSummaries,
        int shutdownDelayMs,
        int websocketIdleTimeoutMs,
        String engine,
        int eventLoops,
        int acceptQueue,
        List<String> trustedProxies,
        boolean requestIds,
        int rateLimitMaxKeys,
        int mirrorMaxInFlight,
        Tls tls,
        Otel otel) {

    /**
     * OpenTelemetry export of one SERVER span per request, over OTLP/HTTP (protobuf); off unless an endpoint is set.
     *
     * @param endpoint    the collector's OTLP/HTTP traces URL (e.g. {@code http://127.0.0.1:4318/v1/traces}), or
     *                    null for no export
     * @param sampleRatio share of new traces exported, 0-1; a request continuing a client's trace follows the
     *                    sampled flag of its {@code traceparent}
     * @param serviceName the spans' {@code service.name}
     */
    public record Otel(URI endpoint, double sampleRatio, String serviceName) {
        public static final Otel OFF = new Otel(null, 1.0, "zkgate");

        public boolean enabled() {
            return endpoint != null;
        }
    }

    /**
     * The TLS listener and HTTP/2 at the front.
     *
     * @param port              TLS port, 0 for any free port, -1 for no TLS listener
     * @param certificates      PEM certificate (chain) files, each paired with the key file at the same index
     * @param keys              PEM private key files (PKCS#8, PKCS#1 RSA or SEC1 EC)
     * @param keystore          PKCS12 key store, or null
     * @param keystorePassword  the key store's password (from {@code ZKGATE_TLS_KEYSTORE_PASSWORD})
     * @param reloadIntervalMs  how often the files are read again to pick up a renewed certificate; 0: never
     * @param expiryWarningDays a certificate expiring within this many days is logged as a warning
     * @param redirect          plain-HTTP requests on the proxy port are redirected to the TLS port
     * @param h2c               HTTP/2 with prior knowledge (h2c) is accepted on the plain proxy port
     * @param provider          the TLS listener's JSSE provider: {@code auto} (the default: Conscrypt where its native
     *                          library loads, else the JDK's), {@code jdk} (SunJSSE) or {@code conscrypt} (BoringSSL
     *                          through JNI, less CPU per handshake and per record)
     */
    public record Tls(int port, List<Path> certificates, List<Path> keys, Path keystore, String keystorePassword,
            int reloadIntervalMs, int expiryWarningDays, boolean redirect, boolean h2c, String provider) {
        public static final String JDK = "jdk";
        public static final String CONSCRYPT = "conscrypt";
        public static final String AUTO = "auto";
        public static final Tls OFF = new Tls(-1, List.of(), List.of(), null, "", 60_000, 14, false, false);

        public Tls(int port, List<Path> certificates, List<Path> keys, Path keystore, String keystorePassword,
                int reloadIntervalMs, int expiryWarningDays, boolean redirect, boolean h2c) {
            this(port, certificates, keys, keystore, keystorePassword, reloadIntervalMs, expiryWarningDays, redirect,
                    h2c, AUTO);
        }

        public boolean enabled() {
            return port >= 0;
        }
    }

    public static final String COMMAND = "java -jar gateway/target/zkgate-gateway.jar";
    public static final String SUMMARY = "zkgate: an HTTP gateway whose routes and backends live in ZooKeeper.";

    public static final List<Option> OPTIONS = List.of(
            new Option("config", OptionType.path(), null, "YAML file of settings, keys named like the flags"),
            new Option("host", OptionType.host(), "0.0.0.0", "address the proxy listens on"),
            new Option("port", OptionType.port(), "8080", "proxy port (0: any free port)"),
            new Option("admin-host", OptionType.host(), "127.0.0.1", "address of the admin server"),
            new Option("admin-port", OptionType.port(), "9090",
                    "admin port: /health, /ready, /metrics, /admin/routes, /admin/services, /admin/status and the "
                            + "status page at / (0: any free port)"),
            new Option("zk", OptionType.connectString(true), "",
                    "ZooKeeper ensemble; none: start an embedded ZooKeeper on 127.0.0.1"),
            new Option("zk-session-timeout-ms", OptionType.integer(1000, 600_000), "30000",
                    "ZooKeeper session timeout"),
            new Option("zk-connection-timeout-ms", OptionType.integer(100, 600_000), "15000",
                    "ZooKeeper connection timeout"),
            new Option("zkgate-root", OptionType.znodePath(), "/zkgate", "znode holding routes, scripts, gateways"),
            new Option("services-root", OptionType.znodePath(), "/services",
                    "znode under which services register (curator-x-discovery base path)"),
            new Option("embedded-zk-port", OptionType.port(), "2181", "port of the embedded ZooKeeper"),
            new Option("data-dir", OptionType.path(), "./data",
                    "data directory; the embedded ZooKeeper stores into its zookeeper/ folder"),
            new Option("upstream-max-connections", OptionType.integer(1, 100_000), "256",
                    "pooled keep-alive connections per backend"),
            new Option("upstream-idle-timeout-ms", OptionType.integer(100, 3_600_000), "30000",
                    "idle pooled upstream connections close after this"),
            new Option("upstream-connect-timeout-ms", OptionType.integer(1, 600_000), "1000",
                    "default upstream connect timeout (route timeouts.connectMs overrides)"),
            new Option("upstream-response-timeout-ms", OptionType.integer(1, 3_600_000), "15000",
                    "default upstream response timeout (route timeouts.responseMs overrides)"),
            new Option("empty-service-grace-ms", OptionType.integer(0, 60_000), "500",
                    "a service whose last instance vanished keeps it this long (covers re-registration)"),
            new Option("shutdown-timeout-ms", OptionType.integer(0, 600_000), "10000",
                    "on SIGTERM, how long in-flight requests may take to finish"),
            new Option("demo", OptionType.flag(), "false",
                    "start two demo backends as service 'demo' and route /demo/ to them"),
            new Option("admin-token", OptionType.string(), "",
                    "bearer token for /metrics, /admin/* and the status page; required when --admin-host is not loopback"),
            new Option("gateway-id", OptionType.string(), "",
                    "this gateway's id under <zkgate-root>/gateways (default: host name and proxy port)"),
            new Option("access-log", OptionType.string(), "",
                    "access log (NCSA extended + route, upstream, upstream ms): a file, or stdout (default: off)"),
            new Option("metrics", OptionType.flag(), "true", "record request metrics (--metrics=false to turn off)"),
            new Option("zk-auth", OptionType.string(), "",
                    "user:password for ZooKeeper digest auth (prefer ZKGATE_ZK_AUTH: flags show in the process list)"),
            new Option("max-request-header-bytes", OptionType.integer(1024, 1024 * 1024), "16384",
                    "largest request line plus headers; larger requests get 431"),
            new Option("max-body-bytes", OptionType.integer(0, Integer.MAX_VALUE), "10485760",
                    "default largest request body; larger get 413 (route limits.maxBodyBytes overrides)"),
            new Option("client-idle-timeout-ms", OptionType.integer(100, 3_600_000), "30000",
                    "close client connections idle this long (guards against slow clients)"),
            new Option("script-instruction-limit", OptionType.integer(1000, 100_000_000), "100000",
                    "Lua instructions a route script may run per call; over it the request gets 500 script_error"),
            new Option("upstream-retries", OptionType.integer(0, 10), "1",
                    "retries on another backend for routes without retries.attempts (idempotent, bodiless requests)"),
            new Option("retry-budget-percent", OptionType.integer(0, 100), "20",
                    "retries a route may make, as a share of its requests over the last ten seconds"),
            new Option("retry-budget-min", OptionType.integer(0, 10_000), "10",
                    "retries a route may make over ten seconds besides that share"),
            new Option("outlier-consecutive-failures", OptionType.integer(0, 1000), "5",
                    "connect failures, timeouts or 5xx in a row that eject a backend (0: never eject)"),
            new Option("outlier-base-ejection-ms", OptionType.integer(10, 3_600_000), "2000",
                    "first ejection of a backend; each further one doubles"),
            new Option("outlier-max-ejection-ms", OptionType.integer(10, 3_600_000), "60000", "longest ejection"),
            new Option("outlier-max-ejection-percent", OptionType.integer(0, 100), "50",
                    "never eject more than this share of a service's backends"),
            new Option("panic-threshold-percent", OptionType.integer(0, 100), "50",
                    "below this share of healthy backends, spread traffic over all of them"),
            new Option("threads", OptionType.integer(8, 10_000), "200",
                    "most threads serving clients and upstream connections (one pool for both)"),
            new Option("min-threads", OptionType.integer(1, 10_000), "8", "threads kept when idle"),
            new Option("reserved-threads", OptionType.integer(-1, 1000), "-1",
                    "idle threads kept ready for the selectors to hand work to (-1: Jetty's heuristic)"),
            new Option("backend-metrics-retention-ms", OptionType.integer(0, 86_400_000), "600000",
                    "a backend gone from its service keeps its metric series this long, then they are removed"),
            new Option("duration-summaries", OptionType.flag(), "true",
                    "also export the deprecated summaries zkgate_request_duration_seconds and "
                            + "zkgate_upstream_duration_seconds beside the histograms (--duration-summaries=false: "
                            + "histograms only, about 4 KB less per route and backend that serves traffic)"),
            new Option("shutdown-delay-ms", OptionType.integer(0, 600_000), "0",
                    "on SIGTERM, answer /ready with 503 but keep serving this long before stopping, so load "
                            + "balancers take the gateway out first"),
            new Option("websocket-idle-timeout-ms", OptionType.integer(1000, 86_400_000), "300000",
                    "close a WebSocket tunnel when neither side sent anything for this long"),
            new Option("engine", OptionType.oneOf("loop", "servlet"), "loop",
                    "the proxy's data path: loop (event loops on Jetty's I/O layer, no thread hand-offs) or servlet "
                            + "(Jetty's async proxy servlet)"),
            new Option("event-loops", OptionType.integer(1, 256),
                    Integer.toString(Runtime.getRuntime().availableProcessors()),
                    "event loops (threads) of the loop engine; each serves its clients and their upstreams"),
            new Option("accept-queue", OptionType.integer(1, 65_535), "1024",
                    "connections the kernel queues on the proxy ports until the gateway accepts them (the listen "
                            + "backlog, capped by net.core.somaxconn); a burst beyond it waits a second for a retry"),
            new Option("trusted-proxies", OptionType.cidrs(), "",
                    "CIDRs of proxies in front of the gateway: only from these is X-Forwarded-For believed, the client "
                            + "being its right-most hop outside them (default: none, the peer is the client)"),
            new Option("request-ids", OptionType.flag(), "true",
                    "give every request an X-Request-Id (a well-formed client one is kept) and a W3C traceparent hop, "
                            + "upstream, in the response, error bodies and the access log (--request-ids=false: off)"),
            new Option("rate-limit-max-keys", OptionType.integer(1, 100_000_000), "100000",
                    "keys (client addresses, header values) one keyed rate limit of a route keeps at most, about "
                            + "200 bytes each; idle keys are evicted"),
            new Option("mirror-max-in-flight", OptionType.integer(1, 100_000), "128",
                    "copies of mirrored requests (route field mirror) under way at once; more are dropped and counted"),
            // TLS listener and HTTP/2 at the front
            new Option("tls-port", OptionType.port(), null,
                    "HTTPS port (HTTP/1.1 and HTTP/2 by ALPN); needs --tls-cert/--tls-key or --tls-keystore "
                            + "(default: no TLS listener)"),
            new Option("tls-cert", OptionType.paths(), "",
                    "PEM certificate file (chain first), paired in order with --tls-key; repeat for more "
                            + "certificates, chosen by SNI"),
            new Option("tls-key", OptionType.paths(), "",
                    "PEM private key file (PKCS#8, PKCS#1 RSA or SEC1 EC) of the --tls-cert at the same position"),
            new Option("tls-keystore", OptionType.string(), "",
                    "PKCS12 key store with the certificates (password from ZKGATE_TLS_KEYSTORE_PASSWORD)"),
            new Option("tls-keystore-password", OptionType.string(), "",
                    "password of --tls-keystore (prefer ZKGATE_TLS_KEYSTORE_PASSWORD: flags show in the process list)"),
            new Option("tls-reload-interval-ms", OptionType.integer(0, 86_400_000), "60000",
                    "read the certificate files again this often and serve a changed certificate to new "
                            + "handshakes (0: never)"),
            new Option("tls-expiry-warning-days", OptionType.integer(0, 3650), "14",
                    "log a warning for a certificate expiring within this many days"),
            new Option("tls-redirect", OptionType.flag(), "false",
                    "redirect every plain-HTTP request on --port to the TLS port (308)"),
            new Option("h2c", OptionType.flag(), "false",
                    "also accept HTTP/2 with prior knowledge (h2c) on the plain --port"),
            new Option("tls-provider", OptionType.oneOf(Tls.AUTO, Tls.JDK, Tls.CONSCRYPT), Tls.AUTO,
                    "TLS implementation of the TLS listener: auto (conscrypt where its native library loads, else "
                            + "jdk; one log line says which and why), jdk, or conscrypt (BoringSSL, less CPU per "
                            + "handshake and per record; falls back to jdk with a log line where its native library "
                            + "cannot load)"),
            // OpenTelemetry span export
            new Option("otel-endpoint", OptionType.httpUrl(), null,
                    "export one OpenTelemetry span per request over OTLP/HTTP (protobuf) to this traces URL, e.g. "
                            + "http://127.0.0.1:4318/v1/traces (default: no export)"),
            new Option("otel-sample-ratio", OptionType.decimal(0, 1), "1.0",
                    "share of new traces whose spans are exported; a client's traceparent keeps its sampled flag"),
            new Option("otel-service-name", OptionType.string(), "zkgate", "service.name of the exported spans"));

    /**
     * Loads settings from the given arguments and environment.
     *
     * @return the settings, or null when {@code --help} was asked for (the caller prints {@link #usage()})
     */
    public static GatewaySettings load(String[] args, Map<String, String> env) throws SettingsException {
        Settings s = SettingsLoader.load(Programs.GATEWAY, args, env);
        if (s.help()) {
            return null;
        }
        return SettingsRules.checked(new GatewaySettings(
                s.string("host"),
                s.integer("port"),
                s.string("admin-host"),
                s.integer("admin-port"),
                s.string("zk"),
                s.integer("zk-session-timeout-ms"),
                s.integer("zk-connection-timeout-ms"),
                s.string("zkgate-root"),
                s.string("services-root"),
                s.integer("embedded-zk-port"),
                s.path("data-dir"),
                s.integer("upstream-max-connections"),
                s.integer("upstream-idle-timeout-ms"),
                s.integer("upstream-connect-timeout-ms"),
                s.integer("upstream-response-timeout-ms"),
                s.integer("empty-service-grace-ms"),
                s.integer("shutdown-timeout-ms"),
                s.flag("demo"),
                s.string("admin-token"),
                s.string("gateway-id"),
                s.string("access-log"),
                s.flag("metrics"),
                s.string("zk-auth"),
                s.integer("max-request-header-bytes"),
                s.integer("max-body-bytes"),
                s.integer("client-idle-timeout-ms"),
                s.integer("script-instruction-limit"),
                s.integer("upstream-retries"),
                s.integer("retry-budget-percent"),
                s.integer("retry-budget-min"),
                s.integer("outlier-consecutive-failures"),
                s.integer("outlier-base-ejection-ms"),
                s.integer("outlier-max-ejection-ms"),
                s.integer("outlier-max-ejection-percent"),
                s.integer("panic-threshold-percent"),
                s.integer("threads"),
                s.integer("min-threads"),
                s.integer("reserved-threads"),
                s.integer("backend-metrics-retention-ms"),
                s.flag("duration-summaries"),
                s.integer("shutdown-delay-ms"),
                s.integer("websocket-idle-timeout-ms"),
                s.string("engine"),
                s.integer("event-loops"),
                s.integer("accept-queue"),
                s.cidrs("trusted-proxies"),
                s.flag("request-ids"),
                s.integer("rate-limit-max-keys"),
                s.integer("mirror-max-in-flight"),
                new Tls(s.integerOr("tls-port", -1), s.paths("tls-cert"), s.paths("tls-key"),
                        s.string("tls-keystore").isEmpty() ? null : Path.of(s.string("tls-keystore")),
                        s.string("tls-keystore-password"), s.integer("tls-reload-interval-ms"),
                        s.integer("tls-expiry-warning-days"), s.flag("tls-redirect"), s.flag("h2c"),
                        s.string("tls-provider")),
                new Otel(s.uri("otel-endpoint"), s.decimal("otel-sample-ratio"), s.string("otel-service-name"))));
    }

    /** Defaults with the given flags, for tests and embedding; throws on bad flags. */
    public static GatewaySettings of(String... args) {
        try {
            return load(args, Map.of());
        } catch (SettingsException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    public static String usage() {
        return SettingsLoader.usage(COMMAND, SUMMARY, Programs.GATEWAY);
    }

    public boolean embeddedZooKeeper() {
        return zkConnect.isEmpty();
    }

    public Path zooKeeperDataDir() {
        return dataDir.resolve("zookeeper");
    }
}
