package io.zkgate.config;

import static java.util.Objects.requireNonNull;

import java.util.Locale;

/**
 * One setting. Its name is the YAML key, the flag is {@code --name}, and the environment variable is
 * {@code ZKGATE_NAME} with '-' as '_'. Immutable.
 *
 * @param name         the key, e.g. {@code admin-port}
 * @param type         the accepted form
 * @param defaultValue the default, as text; null for no value
 * @param help         one line for {@code --help}
 */
public record Option(String name, OptionType type, String defaultValue, String help) {
    public static final String ENV_PREFIX = "ZKGATE_";

    public Option {
        requireNonNull(name, "name");
        requireNonNull(type, "type");
        requireNonNull(help, "help");
    }

    public String flag() {
        return "--" + name;
    }

    public String envName() {
        return envName(name);
    }

    public static String envName(String name) {
        return ENV_PREFIX + name.toUpperCase(Locale.ROOT).replace('-', '_');
    }

    /** A boolean option is given on the command line without a value. */
    public boolean isSwitch() {
        return type.expected().equals(OptionType.flag().expected());
    }
}
