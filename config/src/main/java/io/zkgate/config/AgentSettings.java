package io.zkgate.config;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Typed settings of the registry agent sidecar. Build with {@link #load}; every optional field has a documented
 * default. Immutable; {@link #toString()} hides the ZooKeeper password.
 *
 * @param zkConnect             ZooKeeper connect string (required)
 * @param zkSessionTimeoutMs    ZooKeeper session timeout; a killed agent's instance disappears this long after
 * @param zkConnectionTimeoutMs ZooKeeper connection timeout
 * @param zkAuth                {@code user:password} for ZooKeeper digest authentication, or null
 * @param servicesRoot          curator-x-discovery base path
 * @param service               service name (required)
 * @param id                    instance id, or null to generate one
 * @param address               address the gateways connect to, or null for this host's non-loopback address
 * @param port                  port of the service (required)
 * @param weight                relative share of traffic
 * @param metadata              string metadata written beside the weight
 * @param healthUrl             URL polled for health, or null for no health check
 * @param healthIntervalMs      time between health checks
 * @param healthTimeoutMs       a health check taking longer fails
 * @param healthFailures        consecutive failed checks that unregister the instance
 * @param healthSuccesses       consecutive passing checks that register it again
 * @param drainMs               on SIGTERM, how long the instance stays registered with weight 0 before it is removed
 */
public record AgentSettings(
        String zkConnect,
        int zkSessionTimeoutMs,
        int zkConnectionTimeoutMs,
        String zkAuth,
        String servicesRoot,
        String service,
        String id,
        String address,
        int port,
        int weight,
        Map<String, String> metadata,
        URI healthUrl,
        int healthIntervalMs,
        int healthTimeoutMs,
        int healthFailures,
        int healthSuccesses,
        int drainMs) {

    public static final String COMMAND = "java -jar registry-agent/target/zkgate-agent.jar";
    public static final String SUMMARY = "zkgate agent: registers a service instance in ZooKeeper, keeps it "
            + "registered across session loss and server restarts, withdraws it while its health check fails, "
            + "and on SIGTERM drains it (weight 0) before removing it.";

    public static final List<Option> OPTIONS = List.of(
            new Option("config", OptionType.path(), null, "YAML file of settings, keys named like the flags"),
            new Option("zk", OptionType.connectString(false), null, "ZooKeeper ensemble (required)"),
            new Option("zk-session-timeout-ms", OptionType.integer(1000, 600_000), "10000",
                    "ZooKeeper session timeout; a killed agent's instance vanishes this long after"),
            new Option("zk-connection-timeout-ms", OptionType.integer(100, 600_000), "5000",
                    "ZooKeeper connection timeout"),
            new Option("zk-auth", OptionType.string(), null,
                    "user:password for ZooKeeper digest authentication; the instance node then gets "
                            + "creator-all, world-read ACLs"),
            new Option("services-root", OptionType.znodePath(), "/services",
                    "znode under which services register (curator-x-discovery base path)"),
            new Option("service", OptionType.znodeName(), null, "service name (required)"),
            new Option("id", OptionType.znodeName(), null, "instance id (default: a random UUID)"),
            new Option("address", OptionType.host(), null,
                    "address gateways connect to (default: this host's first non-loopback address)"),
            new Option("port", OptionType.integer(1, 65535), null, "port of the service (required)"),
            new Option("weight", OptionType.integer(0, 10_000), "1", "relative share of traffic; 0 is drained"),
            new Option("metadata", OptionType.keyValues(), "",
                    "string metadata, e.g. --metadata zone=a --metadata version=2 or zone=a,version=2"),
            new Option("health-url", OptionType.httpUrl(), null,
                    "URL polled with GET; 2xx is healthy (default: no health check)"),
            new Option("health-interval-ms", OptionType.integer(10, 3_600_000), "1000", "time between health checks"),
            new Option("health-timeout-ms", OptionType.integer(10, 600_000), "1000",
                    "a health check taking longer fails"),
            new Option("health-failures", OptionType.integer(1, 1000), "3",
                    "consecutive failed health checks that unregister the instance"),
            new Option("health-successes", OptionType.integer(1, 1000), "2",
                    "consecutive passing health checks that register it again"),
            new Option("drain-ms", OptionType.integer(0, 3_600_000), "5000",
                    "on SIGTERM, time with weight 0 before the instance is removed"));

    /**
     * Loads settings from the given arguments and environment.
     *
     * @return the settings, or null when {@code --help} was asked for (the caller prints {@link #usage()})
     */
    public static AgentSettings load(String[] args, Map<String, String> env) throws SettingsException {
        return load(args, env, warning -> System.err.println("zkgate-agent: warning: " + warning));
    }

    /**
     * Loads settings from the given arguments and environment ({@code ZKGATE_AGENT_*}; the older {@code ZKGATE_*}
     * names while no {@code ZKGATE_AGENT_*} variable is set, each such use reported to {@code warnings} in one line).
     *
     * @return the settings, or null when {@code --help} was asked for (the caller prints {@link #usage()})
     */
    @SuppressWarnings("unchecked")
    public static AgentSettings load(String[] args, Map<String, String> env, Consumer<String> warnings)
            throws SettingsException {
        Settings s = SettingsLoader.load(Programs.AGENT, args, env);
        s.warnings().forEach(warnings);
        if (s.help()) {
            return null;
        }
        for (String required : List.of("zk", "service", "port")) {
            Object v = s.values().get(required);
            if (v == null || v.toString().isEmpty()) {
                throw new SettingsException(SettingsException.USAGE, "--" + required + ": missing (required)");
            }
        }
        String zkAuth = s.string("zk-auth");
        if (zkAuth != null && (zkAuth.indexOf(':') <= 0)) {
            throw new SettingsException(SettingsException.USAGE,
                    s.sources().get("zk-auth") + ": zk-auth: expected user:password");
        }
        Map<String, String> metadata = (Map<String, String>) s.values().get("metadata");
        if (metadata.containsKey("weight")) {
            throw new SettingsException(SettingsException.USAGE, s.sources().get("metadata")
                    + ": metadata: 'weight' is written from --weight (expected: other keys)");
        }
        return new AgentSettings(
                s.string("zk"),
                s.integer("zk-session-timeout-ms"),
                s.integer("zk-connection-timeout-ms"),
                zkAuth,
                s.string("services-root"),
                s.string("service"),
                s.string("id"),
                s.string("address"),
                s.integer("port"),
                s.integer("weight"),
                metadata,
                (URI) s.values().get("health-url"),
                s.integer("health-interval-ms"),
                s.integer("health-timeout-ms"),
                s.integer("health-failures"),
                s.integer("health-successes"),
                s.integer("drain-ms"));
    }

    /** Defaults with the given flags, for tests and embedding; throws on bad flags. */
    public static AgentSettings of(String... args) {
        try {
            return load(args, Map.of());
        } catch (SettingsException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    public static String usage() {
        return SettingsLoader.usage(COMMAND, SUMMARY, Programs.AGENT);
    }

    @Override
    public String toString() {
        return "AgentSettings[zk=" + zkConnect + ", zkAuth=" + (zkAuth == null ? "none" : zkAuth.substring(0,
                zkAuth.indexOf(':')) + ":***") + ", servicesRoot=" + servicesRoot + ", service=" + service
                + ", id=" + id + ", address=" + address + ", port=" + port + ", weight=" + weight + ", metadata="
                + metadata + ", healthUrl=" + healthUrl + ", healthIntervalMs=" + healthIntervalMs
                + ", healthTimeoutMs=" + healthTimeoutMs + ", healthFailures=" + healthFailures
                + ", healthSuccesses=" + healthSuccesses + ", drainMs=" + drainMs + "]";
    }
}
