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
                    "healthCheck", "preserveHost", "cors", "ipRules", "rateLimit", "maxInFlight", "auth", "backends",
                    "mirror", "upstream", "compression", "httpsRedirect");
    private static final Set<String> MATCH_FIELDS = Set.of("host", "pathPrefix", "methods", "headers", "query",
            "cookies");
    private static final Set<String> CONDITION_FIELDS = Set.of("name", "exact", "regex", "present");
    private static final Set<String> COOKIE_CONDITION_FIELDS = Set.of("name", "exact");
    private static final Set<String> BACKEND_FIELDS = Set.of("service", "weight");
    private static final Set<String> MIRROR_FIELDS = Set.of("service", "percent");
    /** RFC 9110 token: header and cookie names. */
    private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
    private static final Pattern QUERY_NAME = Pattern.compile("[^&=#\\s]+");
    static final int MAX_CONDITIONS = 16;
    static final int MAX_REGEX_LENGTH = 1024;
    static final int MAX_BACKENDS = 16;
    static final int MAX_BACKEND_WEIGHT = 10_000;
    private static final Set<String> LB_FIELDS = Set.of("policy", "hashKey", "boundedLoad");
    private static final Set<String> TIMEOUT_FIELDS = Set.of("connectMs", "responseMs");
    private static final Set<String> RETRY_FIELDS = Set.of("attempts");
    private static final Set<String> LIMIT_FIELDS = Set.of("maxBodyBytes");
    private static final Set<String> HEALTH_FIELDS =
            Set.of("path", "intervalMs", "timeoutMs", "unhealthyThreshold", "healthyThreshold");

    private static final Set<String> UPSTREAM_FIELDS = Set.of("protocol", "tls");
    private static final Set<String> TLS_FIELDS = Set.of("verify", "ca", "serverName", "clientCertificate", "clientKey");
    private static final Set<String> COMPRESSION_FIELDS = Set.of("enabled", "minBytes", "contentTypes");
    private static final Pattern MEDIA_TYPE = Pattern.compile("[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*");
    static final int MAX_COMPRESSION_MIN_BYTES = 64 * 1024 * 1024;

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
            List<Route.Condition> headers = conditions(r, matchNode, "headers", TOKEN, true);
            List<Route.Condition> query = conditions(r, matchNode, "query", QUERY_NAME, true);
            List<Route.Condition> cookies = conditions(r, matchNode, "cookies", TOKEN, false);
            if (prefix != null) {
                match = new Route.Match(host == null ? null : host.toLowerCase(Locale.ROOT), prefix, methods, headers,
                        query, cookies);
            }
        }

        JsonNode backendsNode = tree.get("backends");
        boolean split = backendsNode != null && !backendsNode.isNull();
        JsonNode serviceNode = tree.get("service");
        String service = null;
        if (serviceNode == null || serviceNode.isNull()) {
            if (!split) {
                r.problem("service", "missing (expected: a service name, or a backends list for a weighted split)");
            }
        } else if (split) {
            r.problem("backends", "set together with service (expected: exactly one of service and backends)");
        } else {
            service = r.string(tree, "service", true);
            if (service != null && !ZnodeLayout.isValidName(service)) {
                r.problem("service", "'" + service + "' (" + ZnodeLayout.nameRule() + ")");
                service = null;
            }
        }
        List<Route.Backend> backends = split ? backends(r, backendsNode) : null;
        Route.Mirror mirror = mirror(r, r.object(tree, "mirror", false));

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

        TrafficLimits trafficLimits = TrafficLimitsCodec.read(tree, r::problem);

        String script = r.string(tree, "script", false);
        if (script != null && !ZnodeLayout.isValidName(script)) {
            r.problem("script", "'" + script + "' (" + ZnodeLayout.nameRule() + ")");
        }

        Route.Cors cors = EdgeFields.cors(r, tree, match);
        Route.IpRules ipRules = EdgeFields.ipRules(r, tree);
        Route.Auth auth = AuthCodec.read(r, tree);
        if (auth != null && auth.jwt() != null && auth.jwt().hashKeyClaim() != null
                && (lb == null || lb.policy() != Policy.CONSISTENT_HASH)) {
            r.problem("auth.jwt.hashKeyClaim", "set, but lb.policy is not consistent_hash (expected: only with "
                    + "consistent_hash)");
        }
        Route.Upstream upstream = upstream(r, tree);
        Route.Compression compression = compression(r, tree);

        if (!r.problems.isEmpty()) {
            throw new ValidationException(r.problems);
        }
        return new Route(id, match, service, stripPrefix, lb, timeouts, retries, script, limits, healthCheck,
                preserveHost, cors, ipRules, trafficLimits, auth, backends, mirror, upstream, compression,
                httpsRedirect);
    }

    /** The conditions of {@code match.<field>}: a list of {name, exact | regex | present}, cookies exact only. */
    private static List<Route.Condition> conditions(Reader r, JsonNode matchNode, String field, Pattern names,
            boolean allKinds) {
        JsonNode list = matchNode.get(field);
        String at = "match." + field;
        if (list == null || list.isNull()) {
            return List.of();
        }
        if (!list.isArray() || list.size() > MAX_CONDITIONS) {
            r.problem(at, (list.isArray() ? list.size() + " conditions" : "a " + kind(list))
                    + " (expected: an array of at most " + MAX_CONDITIONS + " conditions)");
            return List.of();
        }
        List<Route.Condition> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            JsonNode c = list.get(i);
            String f = at + "[" + i + "]";
            if (!c.isObject()) {
                r.problem(f, "a " + kind(c) + " (expected: an object such as {\"name\": \"X-Env\", \"exact\": \"canary\"})");
                continue;
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
                    r.problem(f + ".exact", "a " + kind(exactNode) + " " + exactNode + " (expected: a string)");
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
            Boolean present = null;
            JsonNode presentNode = allKinds ? c.get("present") : null;
            if (presentNode != null && !presentNode.isNull()) {
                if (presentNode.isBoolean()) {
                    present = presentNode.asBoolean();
                } else {
                    r.problem(f + ".present", "a " + kind(presentNode) + " " + presentNode
                            + " (expected: true or false)");
                }
            }
            int kinds = (exactNode == null || exactNode.isNull() ? 0 : 1) + (c.hasNonNull("regex") && allKinds ? 1 : 0)
                    + (presentNode == null || presentNode.isNull() ? 0 : 1);
            if (kinds != 1) {
                r.problem(f, (kinds == 0 ? "no value to compare" : "more than one of " + (allKinds
                        ? "exact, regex, present" : "exact")) + " (expected: exactly one of "
                        + (allKinds ? "exact, regex or present" : "exact; cookies take exact values only") + ")");
                continue;
            }
            if (name != null && (exact != null || regex != null || present != null)) {
                out.add(new Route.Condition(name, exact, regex, present));
            }
        }
        return out;
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

    /** The sides of {@code backends}: 1 to 16 distinct services with weights summing to more than 0. */
    private static List<Route.Backend> backends(Reader r, JsonNode list) {
        if (!list.isArray() || list.isEmpty() || list.size() > MAX_BACKENDS) {
            r.problem("backends", (list.isArray() ? list.size() + " entries" : "a " + kind(list))
                    + " (expected: an array of 1 to " + MAX_BACKENDS + " {\"service\", \"weight\"} objects)");
            return null;
        }
        List<Route.Backend> out = new ArrayList<>();
        Set<String> seen = new TreeSet<>();
        long sum = 0;
        boolean bad = false;
        for (int i = 0; i < list.size(); i++) {
            JsonNode b = list.get(i);
            String f = "backends[" + i + "]";
            if (!b.isObject()) {
                r.problem(f, "a " + kind(b) + " (expected: an object such as {\"service\": \"orders\", \"weight\": 95})");
                bad = true;
                continue;
            }
            r.unknown(b, f + ".", BACKEND_FIELDS);
            String service = r.string(b, f + ".service", "service", true);
            if (service != null && !ZnodeLayout.isValidName(service)) {
                r.problem(f + ".service", "'" + service + "' (" + ZnodeLayout.nameRule() + ")");
                service = null;
            } else if (service != null && !seen.add(service)) {
                r.problem(f + ".service", "'" + service + "' is already a side of this split (expected: each service once)");
                service = null;
            }
            JsonNode w = b.get("weight");
            int weight = 1;
            if (w != null && !w.isNull()) {
                if (!w.isIntegralNumber() || !w.canConvertToInt() || w.asInt() < 0 || w.asInt() > MAX_BACKEND_WEIGHT) {
                    r.problem(f + ".weight", w + " (expected: an integer from 0 to " + MAX_BACKEND_WEIGHT + ")");
                    bad = true;
                    continue;
                }
                weight = w.asInt();
            }
            if (service == null) {
                bad = true;
                continue;
            }
            sum += weight;
            out.add(new Route.Backend(service, weight));
        }
        if (!bad && sum == 0) {
            r.problem("backends", "weights sum to 0 (expected: at least one side with a weight above 0)");
        }
        return out.isEmpty() ? null : out;
    }

    /** The {@code mirror} block: a service and the percentage of requests copied to it (default 100). */
    private static Route.Mirror mirror(Reader r, JsonNode node) {
        if (node == null) {
            return null;
        }
        r.unknown(node, "mirror.", MIRROR_FIELDS);
        String service = r.string(node, "mirror.service", "service", true);
        if (service != null && !ZnodeLayout.isValidName(service)) {
            r.problem("mirror.service", "'" + service + "' (" + ZnodeLayout.nameRule() + ")");
            service = null;
        }
        double percent = 100;
        JsonNode p = node.get("percent");
        if (p != null && !p.isNull()) {
            if (!p.isNumber() || !(p.asDouble() > 0) || p.asDouble() > 100) {
                r.problem("mirror.percent", p + " (expected: a number above 0 and at most 100)");
                return null;
            }
            percent = p.asDouble();
        }
        return service == null ? null : new Route.Mirror(service, percent);
    }

    private static Route.Upstream upstream(Reader r, JsonNode tree) {
        JsonNode node = r.object(tree, "upstream", false);
        if (node == null) {
            return null;
        }
        r.unknown(node, "upstream.", UPSTREAM_FIELDS);
        Route.Upstream.Protocol protocol = null;
        String protocolName = r.string(node, "upstream.protocol", "protocol", false);
        if (protocolName != null) {
            protocol = Route.Upstream.Protocol.fromWireName(protocolName);
            if (protocol == null) {
                r.problem("upstream.protocol", "unknown protocol '" + protocolName
                        + "' (expected one of: http/1.1, h2c, h2)");
            }
        }
        Route.Tls tls = null;
        JsonNode tlsNode = r.object(node, "upstream.tls", "tls");
        if (tlsNode != null) {
            r.unknown(tlsNode, "upstream.tls.", TLS_FIELDS);
            Boolean verify = r.bool(tlsNode, "upstream.tls.verify", "verify");
            String ca = file(r, tlsNode, "ca");
            String serverName = r.string(tlsNode, "upstream.tls.serverName", "serverName", false);
            if (serverName != null && !HOST.matcher(serverName).matches()) {
                r.problem("upstream.tls.serverName", "'" + serverName
                        + "' (expected: a host name without port, such as orders.internal)");
            }
            String cert = file(r, tlsNode, "clientCertificate");
            String key = file(r, tlsNode, "clientKey");
            if ((cert == null) != (key == null) && tlsNode.hasNonNull(cert == null ? "clientKey" : "clientCertificate")) {
                r.problem(cert == null ? "upstream.tls.clientCertificate" : "upstream.tls.clientKey",
                        "missing (expected: clientCertificate and clientKey together, for mutual TLS)");
            }
            if (Boolean.FALSE.equals(verify) && (ca != null || serverName != null)) {
                r.problem("upstream.tls.verify", "false, but " + (ca != null ? "ca" : "serverName")
                        + " is set for verifying (expected: true, or leave out ca and serverName)");
            }
            tls = new Route.Tls(verify, ca, serverName, cert, key);
        }
        if (protocol == Route.Upstream.Protocol.H2C && tlsNode != null) {
            r.problem("upstream.protocol", "'h2c' is HTTP/2 in plain text, but upstream.tls is set "
                    + "(expected: 'h2' for HTTP/2 over TLS)");
        }
        return new Route.Upstream(protocol, tls);
    }

    /** A PEM file path of upstream.tls: absolute, since the gateway's working directory is nobody's business. */
    private static String file(Reader r, JsonNode tlsNode, String name) {
        String field = "upstream.tls." + name;
        String path = r.string(tlsNode, field, name, false);
        if (path != null && !path.startsWith("/")) {
            r.problem(field, "'" + path + "' (expected: an absolute path to a PEM file on the gateway's host)");
            return null;
        }
        return path;
    }

    private static Route.Compression compression(Reader r, JsonNode tree) {
        JsonNode node = r.object(tree, "compression", false);
        if (node == null) {
            return null;
        }
        r.unknown(node, "compression.", COMPRESSION_FIELDS);
        Boolean enabled = r.bool(node, "compression.enabled", "enabled");
        Integer minBytes = r.integer(node, "compression.minBytes", "minBytes", 0, MAX_COMPRESSION_MIN_BYTES);
        List<String> types = new ArrayList<>();
        JsonNode typesNode = node.get("contentTypes");
        if (typesNode != null && !typesNode.isNull()) {
            if (!typesNode.isArray()) {
                r.problem("compression.contentTypes", "a " + kind(typesNode) + " (expected: an array of media types)");
            } else {
                for (int i = 0; i < typesNode.size(); i++) {
                    JsonNode t = typesNode.get(i);
                    String type = t.isTextual() ? t.asText().toLowerCase(Locale.ROOT) : null;
                    if (type == null || !MEDIA_TYPE.matcher(type).matches()) {
                        r.problem("compression.contentTypes[" + i + "]", t
                                + " (expected: a media type without parameters or wildcards, such as application/json)");
                    } else {
                        types.add(type);
                    }
                }
            }
        }
        return new Route.Compression(enabled, minBytes, types);
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
        putConditions(match, "headers", route.match().headers());
        putConditions(match, "query", route.match().query());
        putConditions(match, "cookies", route.match().cookies());
        if (route.service() != null) {
            root.put("service", route.service());
        } else {
            ArrayNode sides = root.putArray("backends");
            for (Route.Backend b : route.backends()) {
                sides.addObject().put("service", b.service()).put("weight", b.weight());
            }
        }
        if (route.mirror() != null) {
            ObjectNode m = root.putObject("mirror").put("service", route.mirror().service());
            double percent = route.mirror().percent();
            if (percent == Math.rint(percent)) {
                m.put("percent", (int) percent);
            } else {
                m.put("percent", percent);
            }
        }
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
        EdgeFields.write(route, root);
        TrafficLimitsCodec.write(route.trafficLimits(), root);
        AuthCodec.write(root, route.auth());
        Route.Upstream upstream = route.upstream();
        if (upstream != null) {
            ObjectNode u = root.putObject("upstream");
            if (upstream.protocol() != null) {
                u.put("protocol", upstream.protocol().wireName());
            }
            Route.Tls tls = upstream.tls();
            if (tls != null) {
                ObjectNode t = u.putObject("tls");
                if (tls.verify() != null) {
                    t.put("verify", tls.verify());
                }
                putIfSet(t, "ca", tls.ca());
                putIfSet(t, "serverName", tls.serverName());
                putIfSet(t, "clientCertificate", tls.clientCertificate());
                putIfSet(t, "clientKey", tls.clientKey());
            }
        }
        Route.Compression compression = route.compression();
        if (compression != null) {
            ObjectNode c = root.putObject("compression");
            if (compression.enabled() != null) {
                c.put("enabled", compression.enabled());
            }
            if (compression.minBytes() != null) {
                c.put("minBytes", compression.minBytes());
            }
            if (!compression.contentTypes().isEmpty()) {
                ArrayNode types = c.putArray("contentTypes");
                compression.contentTypes().forEach(types::add);
            }
        }
        return root;
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

    private static void putIfSet(ObjectNode node, String name, String value) {
        if (value != null) {
            node.put(name, value);
        }
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
    static final class Reader {
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

        /** An optional boolean, or null when absent (or, after a problem, when not a boolean). */
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
