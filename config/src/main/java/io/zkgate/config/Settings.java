package io.zkgate.config;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Loaded setting values by option name, every option present (null where it has no value and no default), plus
 * where each value came from. Immutable.
 *
 * @param values  typed values by option name
 * @param sources "default", the config file with the key's line ({@code FILE:LINE}), "environment ZKGATE_X" or
 *                "flag --x", by option name
 * @param help     whether {@code --help} was given; then the values are only the defaults
 * @param warnings one line each for the user, such as a deprecated environment variable that was read
 */
public record Settings(Map<String, Object> values, Map<String, String> sources, boolean help, List<String> warnings) {
    public Settings {
        requireNonNull(values, "values");
        requireNonNull(sources, "sources");
        warnings = List.copyOf(warnings);
    }

    public int integer(String name) {
        return (Integer) require(name);
    }

    public boolean flag(String name) {
        Object v = values.get(name);
        return v != null && (Boolean) v;
    }

    public String string(String name) {
        return (String) values.get(name);
    }

    /** A list value, such as {@link OptionType#cidrs()}'s; empty when unset. */
    @SuppressWarnings("unchecked")
    public List<String> cidrs(String name) {
        Object v = values.get(name);
        return v == null ? List.of() : (List<String>) v;
    }

    /** A list of paths ({@link OptionType#paths()}), empty when none was given. */
    @SuppressWarnings("unchecked")
    public List<Path> paths(String name) {
        Object v = values.get(name);
        return v == null ? List.of() : (List<Path>) v;
    }

    /** An optional integer: {@code absent} when the setting has no value. */
    public int integerOr(String name, int absent) {
        Object v = values.get(name);
        return v == null ? absent : (Integer) v;
    }

    /** A {@link OptionType#decimal} value. */
    public double decimal(String name) {
        return (Double) require(name);
    }

    /** A {@link OptionType#httpUrl()} value, or null when the setting has none. */
    public URI uri(String name) {
        return (URI) values.get(name);
    }

    public Path path(String name) {
        return (Path) require(name);
    }

    private Object require(String name) {
        if (!values.containsKey(name)) {
            throw new IllegalArgumentException("no such option: " + name);
        }
        Object v = values.get(name);
        if (v == null) {
            throw new IllegalStateException(name + ": no value");
        }
        return v;
    }
}
