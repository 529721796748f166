package io.zkgate.config;

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
 * @param scriptInstructionLimit      Lua instructions a route script may run per call before it is stopped
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
        int scriptInstructionLimit) {

    public static final String COMMAND = "java -jar gateway/target/zkgate-gateway.jar";
    public static final String SUMMARY = "zkgate: an HTTP gateway whose routes and backends live in ZooKeeper.";

    public static final List<Option> OPTIONS = List.of(
            new Option("config", OptionType.path(), null, "YAML file of settings, keys named like the flags"),
            new Option("host", OptionType.host(), "0.0.0.0", "address the proxy listens on"),
            new Option("port", OptionType.port(), "8080", "proxy port (0: any free port)"),
            new Option("admin-host", OptionType.host(), "127.0.0.1", "address of the admin server"),
            new Option("admin-port", OptionType.port(), "9090", "admin port: /health, /ready (0: any free port)"),
            new Option("zk", OptionType.connectString(), "",
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
            new Option("script-instruction-limit", OptionType.integer(1000, 100_000_000), "100000",
                    "Lua instructions a route script may run per call; over it the request gets 500 script_error"));

    /**
     * Loads settings from the given arguments and environment.
     *
     * @return the settings, or null when {@code --help} was asked for (the caller prints {@link #usage()})
     */
    public static GatewaySettings load(String[] args, Map<String, String> env) throws SettingsException {
        Settings s = SettingsLoader.load(OPTIONS, args, env);
        if (s.help()) {
            return null;
        }
        return new GatewaySettings(
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
                s.integer("script-instruction-limit"));
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
        return SettingsLoader.usage(COMMAND, SUMMARY, OPTIONS);
    }

    public boolean embeddedZooKeeper() {
        return zkConnect.isEmpty();
    }

    public Path zooKeeperDataDir() {
        return dataDir.resolve("zookeeper");
    }
}
