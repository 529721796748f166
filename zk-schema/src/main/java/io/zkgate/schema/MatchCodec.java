package io.zkgate.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The route's {@code match} block, read and written for {@link RouteCodec}: host, path prefix (which must be in the
 * canonical form requests are matched on), methods, and header, query and cookie conditions. Stateless.
 */
final class MatchCodec {
    private static final Set<String> MATCH_FIELDS = Set.of("host", "pathPrefix", "methods", "headers", "query",
            "cookies");
    private static final Set<String> CONDITION_FIELDS = Set.of("name", "exact", "regex", "present");
    private static final Set<String> COOKIE_CONDITION_FIELDS = Set.of("name", "exact");
    /** RFC 9110 token: header, cookie and method names. */
    static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
    /** A host name without port; also the form of {@code upstream.tls.serverName}. */
    static final Pattern HOST = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*");
    private static final Pattern QUERY_NAME = Pattern.compile("[^&=#\\s]+");
    private static final Pattern METHOD = Pattern.compile("[A-Z][A-Z_-]{0,31}");
    private static final Pattern PATH_PREFIX = Pattern.compile("/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*");
    static final int MAX_CONDITIONS = 16;
    static final int MAX_REGEX_LENGTH = 1024;

    private MatchCodec() {}

    /** The match of {@code tree}, or null when it is missing or has no usable path prefix (the problems are in r). */
    static Route.Match read(FieldReader r, JsonNode tree) {
        JsonNode matchNode = r.object(tree, "match", true);
        if (matchNode == null) {
            return null;
        }
        r.unknown(matchNode, "match.", MATCH_FIELDS);
        String host = r.string(matchNode, "match.host", "host", false);
        if (host != null && !HOST.matcher(host).matches()) {
            r.problem("match.host", "'" + host + "' (expected: a host name without port, such as api.example.com)");
            host = null;
        }
        String prefix = pathPrefix(r, matchNode);
        Set<String> methods = methods(r, matchNode);
        List<Route.Condition> headers = conditions(r, matchNode, "headers", TOKEN, true);
        List<Route.Condition> query = conditions(r, matchNode, "query", QUERY_NAME, true);
        List<Route.Condition> cookies = conditions(r, matchNode, "cookies", TOKEN, false);
        if (prefix == null) {
            return null;
        }
        return new Route.Match(host == null ? null : host.toLowerCase(Locale.ROOT), prefix, methods, headers, query,
                cookies);
    }

    private static String pathPrefix(FieldReader r, JsonNode matchNode) {
        String prefix = r.string(matchNode, "match.pathPrefix", "pathPrefix", true);
        if (prefix == null) {
            return null;
        }
        if (!PATH_PREFIX.matcher(prefix).matches() || prefix.contains("//")) {
            r.problem("match.pathPrefix", "'" + prefix
                    + "' (expected: a path starting with '/', no '//', query, fragment or spaces)");
            return null;
        }
        String problem = canonicalProblem(prefix);
        if (problem != null) {
            r.problem("match.pathPrefix", problem);
            return null;
        }
        return prefix;
    }

    /**
     * Why {@code prefix} can never match, or null: requests are matched on their {@link CanonicalPath}, so a prefix
     * must be canonical itself (a '.' segment or a lower-case or needless percent-encoding would never match).
     */
    private static String canonicalProblem(String prefix) {
        try {
            String canonical = CanonicalPath.of(prefix);
            return canonical.equals(prefix) ? null : "'" + prefix + "' is not in canonical form, which requests are "
                    + "matched on (expected: '" + canonical + "')";
        } catch (CanonicalPath.BadPathException e) {
            return "'" + prefix + "' can never match a request: it holds " + e.getMessage();
        }
    }

    private static Set<String> methods(FieldReader r, JsonNode matchNode) {
        Set<String> methods = new TreeSet<>();
        JsonNode methodsNode = matchNode.get("methods");
        if (methodsNode == null || methodsNode.isNull()) {
            return methods;
        }
        if (!methodsNode.isArray()) {
            r.problem("match.methods", FieldReader.aKind(methodsNode) + " (expected: an array of method names)");
            return methods;
        }
        for (int i = 0; i < methodsNode.size(); i++) {
            JsonNode m = methodsNode.get(i);
            String method = m.isTextual() ? m.asText().toUpperCase(Locale.ROOT) : null;
            if (method == null || !METHOD.matcher(method).matches()) {
                r.problem("match.methods[" + i + "]", m + " (expected: a method name such as GET)");
            } else {
                methods.add(method);
            }
        }
        return methods;
    }

    /** The conditions of {@code match.<field>}: a list of {name, exact | regex | present}, cookies exact only. */
    private static List<Route.Condition> conditions(FieldReader r, JsonNode matchNode, String field, Pattern names,
            boolean allKinds) {
        JsonNode list = matchNode.get(field);
        String at = "match." + field;
        if (list == null || list.isNull()) {
            return List.of();
        }
        if (!list.isArray() || list.size() > MAX_CONDITIONS) {
            r.problem(at, (list.isArray() ? list.size() + " conditions" : FieldReader.aKind(list))
                    + " (expected: an array of at most " + MAX_CONDITIONS + " conditions)");
            return List.of();
        }
        List<Route.Condition> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            Route.Condition condition = condition(r, list.get(i), at + "[" + i + "]", names, allKinds);
            if (condition != null) {
                out.add(condition);
            }
        }
        return out;
    }

    private static Route.Condition condition(FieldReader r, JsonNode c, String f, Pattern names, boolean allKinds) {
        if (!c.isObject()) {
            r.problem(f, FieldReader.aKind(c)
                    + " (expected: an object such as {\"name\": \"X-Env\", \"exact\": \"canary\"})");
            return null;
        }
        r.unknown(c, f + ".", allKinds ? CONDITION_FIELDS : COOKIE_CONDITION_FIELDS);
        String name = r.string(c, f + ".name", "name", true);
        if (name != null && !names.matcher(name).matches()) {
            r.problem(f + ".name", "'" + name + "' (expected: a " + (names == TOKEN ? "token" : "parameter name")
                    + " without spaces" + (names == TOKEN ? " or separators" : ", '=' or '&'") + ")");
            name = null;
        }
        JsonNode exactNode = c.get("exact");
        String exact = null;
        if (exactNode != null && !exactNode.isNull()) {
            if (exactNode.isTextual()) {
                exact = exactNode.asText();
            } else {
                r.problem(f + ".exact", FieldReader.aKind(exactNode) + " " + exactNode + " (expected: a string)");
            }
        }
        String regex = allKinds ? r.string(c, f + ".regex", "regex", false) : null;
        if (regex != null) {
            String problem = regexProblem(regex);
            if (problem != null) {
                r.problem(f + ".regex", problem);
                regex = null;
            }
        }
        Boolean present = allKinds ? r.bool(c, f + ".present", "present") : null;
        int kinds = (c.hasNonNull("exact") ? 1 : 0) + (allKinds && c.hasNonNull("regex") ? 1 : 0)
                + (allKinds && c.hasNonNull("present") ? 1 : 0);
        if (kinds != 1) {
            r.problem(f, (kinds == 0 ? "no value to compare" : "more than one of " + (allKinds
                    ? "exact, regex, present" : "exact")) + " (expected: exactly one of "
                    + (allKinds ? "exact, regex or present" : "exact; cookies take exact values only") + ")");
            return null;
        }
        return name != null && (exact != null || regex != null || present != null)
                ? new Route.Condition(name, exact, regex, present) : null;
    }

    /** Why {@code regex} is refused (too long, or not RE2 syntax), or null. */
    private static String regexProblem(String regex) {
        if (regex.length() > MAX_REGEX_LENGTH) {
            return regex.length() + " characters (expected: at most " + MAX_REGEX_LENGTH + ")";
        }
        try {
            com.google.re2j.Pattern.compile(regex);
            return null;
        } catch (com.google.re2j.PatternSyntaxException e) {
            return "'" + regex + "' is not a valid RE2 regular expression: " + e.getDescription()
                    + (e.getPattern() == null || e.getPattern().isEmpty() ? "" : " at '" + e.getPattern() + "'");
        }
    }

    static void write(ObjectNode root, Route.Match match) {
        ObjectNode m = root.putObject("match");
        FieldWriter.putIfSet(m, "host", match.host());
        m.put("pathPrefix", match.pathPrefix());
        if (!match.methods().isEmpty()) {
            FieldWriter.putStrings(m, "methods", new TreeSet<>(match.methods()));
        }
        putConditions(m, "headers", match.headers());
        putConditions(m, "query", match.query());
        putConditions(m, "cookies", match.cookies());
    }

    private static void putConditions(ObjectNode match, String field, List<Route.Condition> conditions) {
        if (conditions.isEmpty()) {
            return;
        }
        ArrayNode list = match.putArray(field);
        for (Route.Condition c : conditions) {
            ObjectNode o = list.addObject().put("name", c.name());
            if (c.exact() != null) {
                o.put("exact", c.exact());
            } else if (c.regex() != null) {
                o.put("regex", c.regex());
            } else {
                o.put("present", c.present());
            }
        }
    }
}
