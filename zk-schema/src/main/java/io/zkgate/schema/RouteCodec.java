package io.zkgate.schema;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Route JSON codec and the one route validation: the gateway, the CLI and tests all call {@link #fromTree}, so a
 * route the CLI accepts is never rejected by the gateway and vice versa. Every problem is reported, each as
 * {@code <source>: <field>: <reason>}. Stateless and thread-safe.
 */
public final class RouteCodec {
    /** The route document version this codec reads and writes. */
    public static final int VERSION = 1;

    /**
     * Rejects trailing content after the document ({@code {...}}} is not a route) and duplicate keys (which one
     * would win is not something an operator should have to know).
     */
    static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private static final Set<String> TOP_FIELDS =
            Set.of("id", "version", "match", "service", "stripPrefix", "lb", "timeouts", "retries", "script", "limits",
                    "healthCheck", "preserveHost", "httpsRedirect");
    private static final Set<String> MATCH_FIELDS = Set.of("host", "pathPrefix", "methods");
    private static final Set<String> LB_FIELDS = Set.of("policy", "hashKey", "boundedLoad");
    private static final Set<String> TIMEOUT_FIELDS = Set.of("connectMs", "responseMs");
    private static final Set<String> RETRY_FIELDS = Set.of("attempts");
    private static final Set<String> LIMIT_FIELDS = Set.of("maxBodyBytes");
    private static final Set<String> HEALTH_FIELDS =
            Set.of("path", "intervalMs", "timeoutMs", "unhealthyThreshold", "healthyThreshold");

    private static final Pattern METHOD = Pattern.compile("[A-Z][A-Z_-]{0,31}");
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*");
    private static final Pattern PATH_PREFIX = Pattern.compile("/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*");
    static final int MAX_TIMEOUT_MS = 3_600_000;
    static final int MAX_RETRIES = 10;

    private RouteCodec() {}

    /**
     * Parses and validates route JSON.
     *
     * @param source     znode path or file name, used in messages
     * @param expectedId the znode name the route is stored under, or null when it is not stored yet
     */
    public static Route parse(String source, byte[] json, String expectedId) throws ValidationException {
        JsonNode tree;
        try {
            tree = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new ValidationException(new Problem(source, "(document)", "invalid JSON" + where(e) + ": "
                    + e.getOriginalMessage()));
        } catch (IOException e) {
            throw new ValidationException(new Problem(source, "(document)", "unreadable: " + e.getMessage()));
        }
        return fromTree(source, tree, expectedId);
    }

    /** Validates a parsed JSON or YAML tree into a route; see {@link #parse}. */
    public static Route fromTree(String source, JsonNode tree, String expectedId) throws ValidationException {
        Reader r = new Reader(source);
        if (tree == null || tree.isMissingNode() || tree.isNull()) {
            throw new ValidationException(new Problem(source, "(document)", "empty (expected: a route object)"));
        }
        if (!tree.isObject()) {
            throw new ValidationException(new Problem(source, "(document)",
                    "a " + kind(tree) + " (expected: a route object)"));
        }
        r.unknown(tree, "", TOP_FIELDS);

        String id = r.string(tree, "id", false);
        if (id == null) {
            id = expectedId;
            if (id == null) {
                r.problem("id", "missing (expected: the route id; only a file holding a single route may leave it out, "
                        + "taking the file name)");
            }
        } else if (!ZnodeLayout.isValidName(id)) {
            r.problem("id", "'" + id + "' (" + ZnodeLayout.nameRule() + ")");
        } else if (expectedId != null && !expectedId.equals(id)) {
            r.problem("id", "'" + id + "' differs from its znode name '" + expectedId + "'");
        }

        JsonNode versionNode = tree.get("version");
        if (versionNode != null && !(versionNode.isIntegralNumber() && versionNode.asInt() == VERSION)) {
            r.problem("version", versionNode + " (expected: " + VERSION + ")");
        }

        Route.Match match = null;
        JsonNode matchNode = r.object(tree, "match", true);
        if (matchNode != null) {
            r.unknown(matchNode, "match.", MATCH_FIELDS);
            String host = r.string(matchNode, "match.host", "host", false);
            if (host != null && !HOST.matcher(host).matches()) {
                r.problem("match.host", "'" + host + "' (expected: a host name without port, such as api.example.com)");
                host = null;
            }
            String prefix = r.string(matchNode, "match.pathPrefix", "pathPrefix", true);
            if (prefix != null && (!PATH_PREFIX.matcher(prefix).matches() || prefix.contains("//"))) {
                r.problem("match.pathPrefix", "'" + prefix
                        + "' (expected: a path starting with '/', no '//', query, fragment or spaces)");
                prefix = null;
            } else if (prefix != null) {
                String problem = canonicalProblem(prefix);
                if (problem != null) {
                    r.problem("match.pathPrefix", problem);
                    prefix = null;
                }
            }
            Set<String> methods = new TreeSet<>();
            JsonNode methodsNode = matchNode.get("methods");
            if (methodsNode != null && !methodsNode.isNull()) {
                if (!methodsNode.isArray()) {
                    r.problem("match.methods", "a " + kind(methodsNode) + " (expected: an array of method names)");
                } else {
                    for (int i = 0; i < methodsNode.size(); i++) {
                        JsonNode m = methodsNode.get(i);
                        String method = m.isTextual() ? m.asText().toUpperCase(Locale.ROOT) : null;
                        if (method == null || !METHOD.matcher(method).matches()) {
                            r.problem("match.methods[" + i + "]", m + " (expected: a method name such as GET)");
                        } else {
                            methods.add(method);
                        }
                    }
                }
            }
            if (prefix != null) {
                match = new Route.Match(host == null ? null : host.toLowerCase(Locale.ROOT), prefix, methods);
            }
        }

        String service = r.string(tree, "service", true);
        if (service != null && !ZnodeLayout.isValidName(service)) {
            r.problem("service", "'" + service + "' (" + ZnodeLayout.nameRule() + ")");
            service = null;
        }

        boolean stripPrefix = false;
        JsonNode strip = tree.get("stripPrefix");
        if (strip != null && !strip.isNull()) {
            if (strip.isBoolean()) {
                stripPrefix = strip.asBoolean();
            } else {
                r.problem("stripPrefix", "a " + kind(strip) + " " + strip + " (expected: true or false)");
            }
        }
        Boolean preserveHost = r.bool(tree, "preserveHost", "preserveHost");
        Boolean httpsRedirect = r.bool(tree, "httpsRedirect", "httpsRedirect");

        Route.LoadBalancing lb = null;
        JsonNode lbNode = r.object(tree, "lb", false);
        if (lbNode != null) {
            r.unknown(lbNode, "lb.", LB_FIELDS);
            Policy policy = null;
            String policyName = r.string(lbNode, "lb.policy", "policy", false);
            if (policyName != null) {
                policy = Policy.fromWireName(policyName);
                if (policy == null) {
                    r.problem("lb.policy", "unknown policy '" + policyName + "' (expected one of: "
                            + Policy.wireNames() + ")");
                }
            }
            HashKey hashKey = null;
            String hashKeyText = r.string(lbNode, "lb.hashKey", "hashKey", false);
            if (hashKeyText != null) {
                hashKey = HashKey.parse(hashKeyText);
                if (hashKey == null) {
                    r.problem("lb.hashKey", "'" + hashKeyText + "' (expected: " + HashKey.FORMS + ")");
                }
            }
            Double boundedLoad = null;
            JsonNode bl = lbNode.get("boundedLoad");
            if (bl != null && !bl.isNull()) {
                if (!bl.isNumber() || bl.asDouble() < 1.0 || bl.asDouble() > 100.0) {
                    r.problem("lb.boundedLoad", bl + " (expected: a number from 1.0 to 100, such as 1.25)");
                } else {
                    boundedLoad = bl.asDouble();
                }
            }
            Policy effective = policy == null ? Policy.ROUND_ROBIN : policy;
            if (effective != Policy.CONSISTENT_HASH && policyName != null && Policy.fromWireName(policyName) != null) {
                if (hashKeyText != null) {
                    r.problem("lb.hashKey", "set, but policy is " + effective.wireName()
                            + " (expected: only with consistent_hash)");
                }
                if (bl != null && !bl.isNull()) {
                    r.problem("lb.boundedLoad", "set, but policy is " + effective.wireName()
                            + " (expected: only with consistent_hash)");
                }
            }
            lb = new Route.LoadBalancing(policy, hashKey, boundedLoad);
        }

        Route.Timeouts timeouts = null;
        JsonNode timeoutsNode = r.object(tree, "timeouts", false);
        if (timeoutsNode != null) {
            r.unknown(timeoutsNode, "timeouts.", TIMEOUT_FIELDS);
            timeouts = new Route.Timeouts(
                    r.integer(timeoutsNode, "timeouts.connectMs", "connectMs", 1, MAX_TIMEOUT_MS),
                    r.integer(timeoutsNode, "timeouts.responseMs", "responseMs", 1, MAX_TIMEOUT_MS));
        }

        Route.Retries retries = null;
        JsonNode retriesNode = r.object(tree, "retries", false);
        if (retriesNode != null) {
            r.unknown(retriesNode, "retries.", RETRY_FIELDS);
            retries = new Route.Retries(r.integer(retriesNode, "retries.attempts", "attempts", 0, MAX_RETRIES));
        }

        Route.Limits limits = null;
        JsonNode limitsNode = r.object(tree, "limits", false);
        if (limitsNode != null) {
            r.unknown(limitsNode, "limits.", LIMIT_FIELDS);
            JsonNode max = limitsNode.get("maxBodyBytes");
            Long maxBody = null;
            if (max != null && !max.isNull()) {
                if (!max.isIntegralNumber() || max.asLong() < 0) {
                    r.problem("limits.maxBodyBytes", max + " (expected: an integer >= 0)");
                } else {
                    maxBody = max.asLong();
                }
            }
            limits = new Route.Limits(maxBody);
        }

        Route.HealthCheck healthCheck = null;
        JsonNode hcNode = r.object(tree, "healthCheck", false);
        if (hcNode != null) {
            r.unknown(hcNode, "healthCheck.", HEALTH_FIELDS);
            String path = r.string(hcNode, "healthCheck.path", "path", true);
            if (path != null && (!path.startsWith("/") || path.contains(" "))) {
                r.problem("healthCheck.path", "'" + path + "' (expected: a path starting with '/')");
                path = null;
            }
            Integer interval = r.integer(hcNode, "healthCheck.intervalMs", "intervalMs", 100, MAX_TIMEOUT_MS);
            Integer timeout = r.integer(hcNode, "healthCheck.timeoutMs", "timeoutMs", 10, MAX_TIMEOUT_MS);
            Integer unhealthy = r.integer(hcNode, "healthCheck.unhealthyThreshold", "unhealthyThreshold", 1, 100);
            Integer healthy = r.integer(hcNode, "healthCheck.healthyThreshold", "healthyThreshold", 1, 100);
            if (path != null) {
                healthCheck = new Route.HealthCheck(path,
                        interval == null ? Route.HealthCheck.DEFAULT_INTERVAL_MS : interval,
                        timeout == null ? Route.HealthCheck.DEFAULT_TIMEOUT_MS : timeout,
                        unhealthy == null ? Route.HealthCheck.DEFAULT_UNHEALTHY : unhealthy,
                        healthy == null ? Route.HealthCheck.DEFAULT_HEALTHY : healthy);
            }
        }

        String script = r.string(tree, "script", false);
        if (script != null && !ZnodeLayout.isValidName(script)) {
            r.problem("script", "'" + script + "' (" + ZnodeLayout.nameRule() + ")");
        }

        if (!r.problems.isEmpty()) {
            throw new ValidationException(r.problems);
        }
        return new Route(id, match, service, stripPrefix, lb, timeouts, retries, script, limits, healthCheck,
                preserveHost, httpsRedirect);
    }

    /** The route as a JSON tree, fields in contract order, absent optional fields left out. */
    public static ObjectNode toTree(Route route) {
        ObjectNode root = JSON.createObjectNode();
        root.put("id", route.id());
        ObjectNode match = root.putObject("match");
        if (route.match().host() != null) {
            match.put("host", route.match().host());
        }
        match.put("pathPrefix", route.match().pathPrefix());
        if (!route.match().methods().isEmpty()) {
            ArrayNode methods = match.putArray("methods");
            new TreeSet<>(route.match().methods()).forEach(methods::add);
        }
        root.put("service", route.service());
        if (route.stripPrefix()) {
            root.put("stripPrefix", true);
        }
        if (route.preserveHost() != null) {
            root.put("preserveHost", route.preserveHost());
        }
        if (route.httpsRedirect() != null) {
            root.put("httpsRedirect", route.httpsRedirect());
        }
        Route.LoadBalancing lb = route.lb();
        if (lb != null) {
            ObjectNode lbNode = root.putObject("lb");
            if (lb.policy() != null) {
                lbNode.put("policy", lb.policy().wireName());
            }
            if (lb.hashKey() != null) {
                lbNode.put("hashKey", lb.hashKey().toString());
            }
            if (lb.boundedLoad() != null) {
                lbNode.put("boundedLoad", lb.boundedLoad());
            }
        }
        if (route.timeouts() != null) {
            ObjectNode t = root.putObject("timeouts");
            if (route.timeouts().connectMs() != null) {
                t.put("connectMs", route.timeouts().connectMs());
            }
            if (route.timeouts().responseMs() != null) {
                t.put("responseMs", route.timeouts().responseMs());
            }
        }
        if (route.retries() != null && route.retries().attempts() != null) {
            root.putObject("retries").put("attempts", route.retries().attempts());
        }
        if (route.script() != null) {
            root.put("script", route.script());
        }
        if (route.limits() != null && route.limits().maxBodyBytes() != null) {
            root.putObject("limits").put("maxBodyBytes", route.limits().maxBodyBytes());
        }
        Route.HealthCheck hc = route.healthCheck();
        if (hc != null) {
            ObjectNode h = root.putObject("healthCheck");
            h.put("path", hc.path());
            h.put("intervalMs", hc.intervalMs());
            h.put("timeoutMs", hc.timeoutMs());
            h.put("unhealthyThreshold", hc.unhealthyThreshold());
            h.put("healthyThreshold", hc.healthyThreshold());
        }
        return root;
    }

    public static byte[] toJson(Route route) {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(toTree(route));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot happen: a route tree always serializes", e);
        }
    }

    static String kind(JsonNode node) {
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

    static String where(JsonProcessingException e) {
        JsonLocation loc = e.getLocation();
        return loc == null || loc.getLineNr() < 1 ? "" : " at line " + loc.getLineNr() + ", column " + loc.getColumnNr();
    }

    /** Collects problems while reading one document. */
    private static final class Reader {
        final String source;
        final List<Problem> problems = new ArrayList<>();

        Reader(String source) {
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
                problem(field, "a " + kind(n) + " " + n + " (expected: a string)");
                return null;
            }
            if (n.asText().isBlank()) {
                problem(field, "empty (expected: a non-empty string)");
                return null;
            }
            return n.asText();
        }

        /** An optional boolean, null when absent or not a boolean (then reported). */
        Boolean bool(JsonNode parent, String field, String name) {
            JsonNode n = parent.get(name);
            if (n == null || n.isNull()) {
                return null;
            }
            if (!n.isBoolean()) {
                problem(field, "a " + kind(n) + " " + n + " (expected: true or false)");
                return null;
            }
            return n.asBoolean();
        }

        JsonNode object(JsonNode parent, String field, boolean required) {
            JsonNode n = parent.get(field);
            if (n == null || n.isNull()) {
                if (required) {
                    problem(field, "missing (expected: an object)");
                }
                return null;
            }
            if (!n.isObject()) {
                problem(field, "a " + kind(n) + " (expected: an object)");
                return null;
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

}
