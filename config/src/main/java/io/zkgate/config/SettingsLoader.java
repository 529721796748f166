package io.zkgate.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Loads settings from, in rising precedence: defaults, an optional YAML file (flat {@code key: value}), environment
 * variables (the program's prefix: {@code ZKGATE_*} for the gateway, {@code ZKGATE_AGENT_*} for the agent),
 * command-line flags. Unknown keys, unknown flags and bad values are errors naming the
 * key, where it came from and the expected form. Stateless.
 */
public final class SettingsLoader {
    /** The option naming the YAML file; it can come from the flag or the environment, not from the file itself. */
    public static final String CONFIG = "config";

    /** Environment variables with the prefix that belong to the launcher scripts, not to the settings. */
    private static final Set<String> RESERVED_ENV = Set.of("ZKGATE_JAVA_OPTS", "ZKGATE_HOME", "ZKGATE_JAR");

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private SettingsLoader() {}

    /**
     * Loads {@code program}'s settings. Environment variables of another program (the agent's {@code ZKGATE_AGENT_*}
     * for the gateway) are left alone; an unknown key names the program it belongs to, if any.
     */
    public static Settings load(Program program, String[] args, Map<String, String> env) throws SettingsException {
        List<Option> options = program.options();
        Map<String, Option> byName = new LinkedHashMap<>();
        for (Option o : options) {
            byName.put(o.name(), o);
        }
        Map<String, String> flags = new LinkedHashMap<>();
        boolean help = parseArgs(program, byName, args, flags);

        Map<String, String> fromEnv = new LinkedHashMap<>();
        Map<String, String> envVariable = new HashMap<>();
        List<String> legacyUsed = new ArrayList<>();
        String legacy = program.legacyEnvPrefix();
        boolean newNamesInUse = env.keySet().stream()
                .anyMatch(k -> k.startsWith(program.envPrefix()) && !RESERVED_ENV.contains(k));
        for (Map.Entry<String, String> e : new TreeMap<>(env).entrySet()) {
            String key = e.getKey();
            if (RESERVED_ENV.contains(key) || ownedByOther(program, key)) {
                continue;
            }
            if (key.startsWith(program.envPrefix())) {
                Option o = program.optionByEnv(program.envPrefix(), key);
                if (o == null) {
                    String name = key.substring(program.envPrefix().length()).toLowerCase(Locale.ROOT)
                            .replace('_', '-');
                    throw new SettingsException(SettingsException.USAGE, "environment: " + key
                            + ": unknown setting of the " + program.name() + owner(program, name)
                            + " (expected one of: " + envNames(program) + ")");
                }
                fromEnv.put(o.name(), e.getValue());
                envVariable.put(o.name(), key);
            } else if (legacy != null && !newNamesInUse && key.startsWith(legacy)) {
                // The old shared names: read those that are this program's, leave the rest to the gateway.
                Option o = program.optionByEnv(legacy, key);
                if (o != null) {
                    fromEnv.put(o.name(), e.getValue());
                    envVariable.put(o.name(), key);
                    legacyUsed.add(key);
                }
            }
        }
        List<String> warnings = new ArrayList<>();
        if (!legacyUsed.isEmpty()) {
            warnings.add("environment: " + String.join(", ", legacyUsed) + (legacyUsed.size() == 1 ? " is a" : " are")
                    + " deprecated name" + (legacyUsed.size() == 1 ? "" : "s") + " for the " + program.name()
                    + " (the " + legacy + "* names are the gateway's); use " + legacyUsed.stream()
                            .map(k -> program.envPrefix() + k.substring(legacy.length()))
                            .collect(Collectors.joining(", ")));
        }

        Map<String, String> fromFile = new LinkedHashMap<>();
        Map<String, Integer> fileLines = new HashMap<>();
        String configText = flags.containsKey(CONFIG) ? flags.get(CONFIG) : fromEnv.get(CONFIG);
        String fileSource = null;
        if (configText != null && byName.containsKey(CONFIG) && !help) {
            Path file = Path.of(configText);
            fileSource = file.toString();
            readFile(program, byName, file, fromFile, fileLines);
        }

        Map<String, Object> values = new HashMap<>();
        Map<String, String> sources = new HashMap<>();
        for (Option o : options) {
            String name = o.name();
            String raw = o.defaultValue();
            String source = "default";
            int exit = SettingsException.USAGE;
            if (fromFile.containsKey(name)) {
                raw = fromFile.get(name);
                source = fileSource + (fileLines.containsKey(name) ? ":" + fileLines.get(name) : "");
                exit = SettingsException.INVALID;
            }
            if (fromEnv.containsKey(name)) {
                raw = fromEnv.get(name);
                source = "environment " + envVariable.get(name);
                exit = SettingsException.USAGE;
            }
            if (flags.containsKey(name)) {
                raw = flags.get(name);
                source = "flag " + o.flag();
                exit = SettingsException.USAGE;
            }
            Object value = null;
            if (raw != null) {
                value = o.type().parser().apply(raw);
                if (value == null) {
                    throw new SettingsException(exit,
                            source + ": " + name + ": '" + raw + "' (expected: " + o.type().expected() + ")");
                }
            }
            values.put(name, value);
            sources.put(name, source);
        }
        return new Settings(Collections.unmodifiableMap(values), Map.copyOf(sources), help, warnings);
    }

    /** The {@code --help} text: every flag with its form, default and environment variable. */
    public static String usage(String command, String summary, Program program) {
        StringBuilder sb = new StringBuilder();
        sb.append("Usage: ").append(command).append(" [options]\n\n").append(summary).append("\n\nOptions:\n");
        for (Option o : program.options()) {
            String left = "  " + o.flag() + (o.isSwitch() ? "" : " <" + o.type().expected() + ">");
            sb.append(left).append('\n');
            sb.append("      ").append(o.help());
            if (o.defaultValue() != null && !o.isSwitch() && !o.help().contains("(default:")) {
                sb.append(" (default: ").append(o.defaultValue().isEmpty() ? "none" : o.defaultValue()).append(')');
            }
            sb.append(" [env ").append(program.envName(o.name())).append("]\n");
        }
        sb.append("  --help\n      print this help and exit\n\n");
        sb.append("Precedence: defaults < --config file (YAML, keys are the flag names without --) < ")
                .append(program.envPrefix()).append("* environment < flags.\n");
        if (program.legacyEnvPrefix() != null) {
            sb.append("The older ").append(program.legacyEnvPrefix()).append("* names are still read, with a "
                    + "deprecation warning, while no ").append(program.envPrefix()).append("* variable is set.\n");
        }
        sb.append("Exit codes: 0 ok, 1 failed (including a bad config file), 2 usage.\n");
        return sb.toString();
    }

    /** Whether {@code key} is another program's variable under a longer prefix (ZKGATE_AGENT_ for the gateway). */
    private static boolean ownedByOther(Program program, String key) {
        for (Program other : Programs.others(program)) {
            if (other.envPrefix().length() > program.envPrefix().length() && key.startsWith(other.envPrefix())) {
                return true;
            }
        }
        return false;
    }

    /** {@code ": it is the registry agent's (--service, env ZKGATE_AGENT_SERVICE)"}, or empty for no one's. */
    private static String owner(Program program, String name) {
        for (Program other : Programs.others(program)) {
            Option o = other.option(name);
            if (o != null && !name.equals(CONFIG)) {
                return ": it is the " + other.name() + "'s (" + o.flag() + ", env " + other.envName(name) + ")";
            }
        }
        return "";
    }

    private static boolean parseArgs(Program program, Map<String, Option> byName, String[] args,
            Map<String, String> flags) throws SettingsException {
        boolean help = false;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("--help") || arg.equals("-h")) {
                help = true;
                continue;
            }
            if (!arg.startsWith("--") || arg.length() == 2) {
                throw new SettingsException(SettingsException.USAGE, "unexpected argument '" + arg
                        + "' (expected: --name value or --name=value; see --help)");
            }
            int eq = arg.indexOf('=');
            String name = eq < 0 ? arg.substring(2) : arg.substring(2, eq);
            Option o = byName.get(name);
            if (o == null) {
                throw new SettingsException(SettingsException.USAGE, "unknown flag --" + name + " for the "
                        + program.name() + owner(program, name) + " (see --help)");
            }
            String value;
            if (eq >= 0) {
                value = arg.substring(eq + 1);
            } else if (o.isSwitch()) {
                value = "true";
            } else if (i + 1 < args.length) {
                value = args[++i];
            } else {
                throw new SettingsException(SettingsException.USAGE,
                        "flag --" + name + ": missing value (expected: " + o.type().expected() + ")");
            }
            if (o.type().isRepeatable() && flags.containsKey(name)) {
                value = flags.get(name) + "," + value;
            }
            flags.put(name, value);
        }
        return help;
    }

    /**
     * Reads the settings of {@code file} into {@code out}, and the line of each key into {@code lines}, so that a bad
     * value or an unknown key is named with its line as a route file's problems are.
     */
    private static void readFile(Program program, Map<String, Option> byName, Path file, Map<String, String> out,
            Map<String, Integer> lines) throws SettingsException {
        JsonNode tree;
        try {
            byte[] bytes = Files.readAllBytes(file);
            tree = YAML.readTree(bytes);
            keyLines(bytes, lines);
        } catch (NoSuchFileException e) {
            throw new SettingsException(SettingsException.INVALID, file + ": no such file");
        } catch (IOException e) {
            throw new SettingsException(SettingsException.INVALID, file + ": not valid YAML: " + e.getMessage());
        }
        if (tree == null || tree.isMissingNode() || tree.isNull()) {
            return;
        }
        if (!tree.isObject()) {
            throw new SettingsException(SettingsException.INVALID,
                    file + ": expected a mapping of setting names to values");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = tree.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = e.getKey();
            Option o = byName.get(key);
            String at = file + (lines.containsKey(key) ? ":" + lines.get(key) : "");
            if (o == null || key.equals(CONFIG)) {
                throw new SettingsException(SettingsException.INVALID, at + ": " + key
                        + ": unknown setting of the " + program.name() + owner(program, key)
                        + " (expected one of: " + String.join(", ", byName.keySet()) + ")");
            }
            JsonNode v = e.getValue();
            if (v.isNull()) {
                continue;
            }
            if (v.isArray() && (key.equals("zk") || o.type().isList())) {
                StringBuilder joined = new StringBuilder();
                v.forEach(n -> joined.append(joined.length() == 0 ? "" : ",").append(n.asText()));
                out.put(key, joined.toString());
            } else if (o.type().isRepeatable() && (v.isArray() || v.isObject())) {
                out.put(key, joinPairs(v));
            } else if (v.isValueNode()) {
                out.put(key, v.asText());
            } else {
                throw new SettingsException(SettingsException.INVALID, at + ": " + key
                        + ": a " + (v.isArray() ? "list" : "mapping") + " (expected: " + o.type().expected() + ")");
            }
        }
    }

    /** The line of each top-level key of a YAML mapping (1-based). */
    private static void keyLines(byte[] yaml, Map<String, Integer> lines) throws IOException {
        try (JsonParser p = YAML.getFactory().createParser(yaml)) {
            int depth = 0;
            for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
                if (t.isStructStart()) {
                    depth++;
                } else if (t.isStructEnd()) {
                    depth--;
                } else if (t == JsonToken.FIELD_NAME && depth == 1) {
                    lines.putIfAbsent(p.currentName(), p.getTokenLocation().getLineNr());
                }
            }
        }
    }

    /** A YAML list of {@code k=v} strings or a mapping of keys to values, as {@code k=v,k=v}. */
    private static String joinPairs(JsonNode v) {
        StringBuilder joined = new StringBuilder();
        if (v.isArray()) {
            v.forEach(n -> joined.append(joined.length() == 0 ? "" : ",").append(n.asText()));
        } else {
            v.fields().forEachRemaining(e -> joined.append(joined.length() == 0 ? "" : ",")
                    .append(e.getKey()).append('=').append(e.getValue().asText()));
        }
        return joined.toString();
    }

    private static String envNames(Program program) {
        return program.options().stream().map(o -> program.envName(o.name())).collect(Collectors.joining(", "));
    }
}
