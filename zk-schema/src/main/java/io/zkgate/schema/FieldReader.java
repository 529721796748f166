package io.zkgate.schema;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads the fields of one route document for the route codecs, collecting every problem as
 * {@code <source>: <field>: <reason>} instead of stopping at the first. Not thread-safe: one per document.
 */
final class FieldReader {
    final String source;
    final List<Problem> problems = new ArrayList<>();

    FieldReader(String source) {
        this.source = source;
    }

    void problem(String field, String reason) {
        problems.add(new Problem(source, field, reason));
    }

    void unknown(JsonNode node, String prefix, Set<String> known) {
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            String name = it.next().getKey();
            if (!known.contains(name)) {
                problem(prefix + name, "unknown field (expected one of: " + new TreeSet<>(known) + ")");
            }
        }
    }

    String string(JsonNode parent, String field, boolean required) {
        return string(parent, field, field, required);
    }

    String string(JsonNode parent, String field, String name, boolean required) {
        JsonNode n = parent.get(name);
        if (n == null || n.isNull()) {
            if (required) {
                problem(field, "missing (expected: a string)");
            }
            return null;
        }
        if (!n.isTextual()) {
            problem(field, aKind(n) + " " + n + " (expected: a string)");
            return null;
        }
        if (n.asText().isBlank()) {
            problem(field, "empty (expected: a non-empty string)");
            return null;
        }
        return n.asText();
    }

    /** An optional boolean, or null when absent (or, after a problem, when not a boolean). */
    Boolean bool(JsonNode parent, String field, String name) {
        JsonNode n = parent.get(name);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isBoolean()) {
            problem(field, aKind(n) + " " + n + " (expected: true or false)");
            return null;
        }
        return n.asBoolean();
    }

    JsonNode object(JsonNode parent, String field, boolean required) {
        return object(parent, field, field, required);
    }

    /** An optional nested object named {@code name} in {@code parent}, reported as {@code field}. */
    JsonNode object(JsonNode parent, String field, String name) {
        return object(parent, field, name, false);
    }

    JsonNode object(JsonNode parent, String field, String name, boolean required) {
        JsonNode n = parent.get(name);
        if (n == null || n.isNull()) {
            if (required) {
                problem(field, "missing (expected: an object)");
            }
            return null;
        }
        if (!n.isObject()) {
            problem(field, aKind(n) + " (expected: an object)");
            return null;
        }
        return n;
    }

    /** An optional block {@code name} of the route, its unknown fields reported; null when absent or not an object. */
    JsonNode block(JsonNode tree, String name, Set<String> known) {
        return block(tree, name, name, known);
    }

    /** An optional block {@code name} in {@code parent}, reported as {@code field}, its unknown fields reported. */
    JsonNode block(JsonNode parent, String field, String name, Set<String> known) {
        JsonNode n = object(parent, field, name, false);
        if (n != null) {
            unknown(n, field + ".", known);
        }
        return n;
    }

    Integer integer(JsonNode parent, String field, String name, int min, int max) {
        JsonNode n = parent.get(name);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isIntegralNumber() || !n.canConvertToInt() || n.asInt() < min || n.asInt() > max) {
            problem(field, n + " (expected: an integer from " + min + " to " + max + ")");
            return null;
        }
        return n.asInt();
    }

    /**
     * An array of non-blank strings as written, or null when absent (a problem if {@code required}) or not an
     * array; a blank or non-string element is a problem and left out.
     */
    List<String> strings(JsonNode parent, String field, String name, boolean required) {
        JsonNode n = parent.get(name);
        if (n == null || n.isNull()) {
            if (required) {
                problem(field, "missing (expected: an array of strings)");
            }
            return null;
        }
        if (!n.isArray()) {
            problem(field, aKind(n) + " (expected: an array of strings)");
            return null;
        }
        List<String> out = new ArrayList<>(n.size());
        for (int i = 0; i < n.size(); i++) {
            JsonNode e = n.get(i);
            if (!e.isTextual() || e.asText().isBlank()) {
                problem(field + "[" + i + "]", e + " (expected: a non-empty string)");
            } else {
                out.add(e.asText());
            }
        }
        return out;
    }

    /** What a JSON value is, with its article, as an operator would say it: "an array", "a string", "null". */
    static String aKind(JsonNode node) {
        String kind = kind(node);
        return switch (kind) {
            case "array", "object" -> "an " + kind;
            case "null", "missing" -> kind;
            default -> "a " + kind;
        };
    }

    /** What a JSON value is, as an operator would say it: string, number, boolean, array, object, null. */
    private static String kind(JsonNode node) {
        if (node.isTextual()) {
            return "string";
        }
        if (node.isNumber()) {
            return "number";
        }
        if (node.isBoolean()) {
            return "boolean";
        }
        if (node.isArray()) {
            return "array";
        }
        if (node.isObject()) {
            return "object";
        }
        return node.getNodeType().name().toLowerCase(Locale.ROOT);
    }
}
