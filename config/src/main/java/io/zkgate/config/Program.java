package io.zkgate.config;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Locale;

/**
 * A program that reads settings: its name for messages, its environment prefix and its options. The gateway reads
 * {@code ZKGATE_*}, the registry agent {@code ZKGATE_AGENT_*}, so one environment (a container running both, a
 * shell profile) can set both. Immutable.
 *
 * @param name           as messages name it, e.g. {@code gateway}
 * @param envPrefix      prefix of its environment variables
 * @param legacyEnvPrefix prefix it read before, still accepted with a deprecation warning; null for none
 * @param options        its settings
 */
public record Program(String name, String envPrefix, String legacyEnvPrefix, List<Option> options) {
    public Program {
        requireNonNull(name, "name");
        requireNonNull(envPrefix, "envPrefix");
        options = List.copyOf(options);
    }

    /** The environment variable of option {@code optionName}. */
    public String envName(String optionName) {
        return envPrefix + optionName.toUpperCase(Locale.ROOT).replace('-', '_');
    }

    /** The option named {@code name}, or null. */
    public Option option(String name) {
        for (Option o : options) {
            if (o.name().equals(name)) {
                return o;
            }
        }
        return null;
    }

    /** The option whose variable under {@code prefix} is {@code envName}, or null. */
    Option optionByEnv(String prefix, String envName) {
        if (!envName.startsWith(prefix)) {
            return null;
        }
        String rest = envName.substring(prefix.length());
        for (Option o : options) {
            if (o.name().toUpperCase(Locale.ROOT).replace('-', '_').equals(rest)) {
                return o;
            }
        }
        return null;
    }
}
