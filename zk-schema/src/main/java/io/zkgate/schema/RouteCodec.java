package io.zkgate.schema;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.List;
import java.util.Set;

/**
 * Route JSON codec and the one route validation: the gateway, the CLI and tests all call {@link #fromTree}, so a
 * route the CLI accepts is never rejected by the gateway and vice versa. Every problem is reported, each as
 * {@code <source>: <field>: <reason>}. This class reads and writes the top-level fields and the checks across
 * blocks; each block has its own codec ({@link MatchCodec}, {@link SplitCodec}, {@link ForwardingCodec},
 * {@link TrafficLimitsCodec}, {@link EdgeCodec}, {@link AuthCodec}, {@link UpstreamCodec},
 * {@link CompressionCodec}). Stateless and thread-safe.
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
                    "mirror", "upstream", "compression", "httpsRedirect", "requestIds");

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
        FieldReader r = new FieldReader(source);
        if (tree == null || tree.isMissingNode() || tree.isNull()) {
            throw new ValidationException(new Problem(source, "(document)", "empty (expected: a route object)"));
        }
        if (!tree.isObject()) {
            throw new ValidationException(new Problem(source, "(document)",
                    FieldReader.aKind(tree) + " (expected: a route object)"));
        }
        r.unknown(tree, "", TOP_FIELDS);
        String id = id(r, tree, expectedId);
        JsonNode versionNode = tree.get("version");
        if (versionNode != null && !(versionNode.isIntegralNumber() && versionNode.asInt() == VERSION)) {
            r.problem("version", versionNode + " (expected: " + VERSION + ")");
        }
        Route.Match match = MatchCodec.read(r, tree);
        String service = SplitCodec.service(r, tree);
        List<Route.Backend> backends = SplitCodec.backends(r, tree);
        Route.Mirror mirror = SplitCodec.mirror(r, tree);
        boolean stripPrefix = Boolean.TRUE.equals(r.bool(tree, "stripPrefix", "stripPrefix"));
        Boolean preserveHost = r.bool(tree, "preserveHost", "preserveHost");
        Boolean httpsRedirect = r.bool(tree, "httpsRedirect", "httpsRedirect");
        Boolean requestIds = r.bool(tree, "requestIds", "requestIds");
        Route.LoadBalancing lb = ForwardingCodec.lb(r, tree);
        Route.Timeouts timeouts = ForwardingCodec.timeouts(r, tree);
        Route.Retries retries = ForwardingCodec.retries(r, tree);
        Route.Limits limits = ForwardingCodec.limits(r, tree);
        Route.HealthCheck healthCheck = ForwardingCodec.healthCheck(r, tree);
        TrafficLimits trafficLimits = TrafficLimitsCodec.read(tree, r::problem);
        String script = r.string(tree, "script", false);
        if (script != null && !ZnodeLayout.isValidName(script)) {
            r.problem("script", "'" + script + "' (" + ZnodeLayout.nameRule() + ")");
        }
        Route.Cors cors = EdgeCodec.cors(r, tree, match);
        Route.IpRules ipRules = EdgeCodec.ipRules(r, tree);
        Auth auth = AuthCodec.read(r, tree);
        if (auth != null && auth.jwt() != null && auth.jwt().hashKeyClaim() != null
                && (lb == null || lb.policy() != Policy.CONSISTENT_HASH)) {
            r.problem("auth.jwt.hashKeyClaim", "set, but lb.policy is not consistent_hash (expected: only with "
                    + "consistent_hash)");
        }
        Route.Upstream upstream = UpstreamCodec.read(r, tree);
        Route.Compression compression = CompressionCodec.read(r, tree);

        if (!r.problems.isEmpty()) {
            throw new ValidationException(r.problems);
        }
        return new Route(id, match, service, stripPrefix, lb, timeouts, retries, script, limits, healthCheck,
                preserveHost, cors, ipRules, trafficLimits, auth, backends, mirror, upstream, compression,
                httpsRedirect, requestIds);
    }

    /** The route's id: its own, else the name it is stored under; never one that differs from that name. */
    private static String id(FieldReader r, JsonNode tree, String expectedId) {
        String id = r.string(tree, "id", false);
        if (id == null) {
            if (expectedId == null) {
                r.problem("id", "missing (expected: the route id; only a file holding a single route may leave it out, "
                        + "taking the file name)");
            }
            return expectedId;
        }
        if (!ZnodeLayout.isValidName(id)) {
            r.problem("id", "'" + id + "' (" + ZnodeLayout.nameRule() + ")");
        } else if (expectedId != null && !expectedId.equals(id)) {
            r.problem("id", "'" + id + "' differs from its znode name '" + expectedId + "'");
        }
        return id;
    }

    /** The route as a JSON tree, fields in contract order, absent optional fields left out. */
    public static ObjectNode toTree(Route route) {
        ObjectNode root = JSON.createObjectNode();
        root.put("id", route.id());
        MatchCodec.write(root, route.match());
        SplitCodec.write(root, route);
        if (route.stripPrefix()) {
            root.put("stripPrefix", true);
        }
        FieldWriter.putIfSet(root, "preserveHost", route.preserveHost());
        FieldWriter.putIfSet(root, "httpsRedirect", route.httpsRedirect());
        FieldWriter.putIfSet(root, "requestIds", route.requestIds());
        ForwardingCodec.write(root, route.lb());
        ForwardingCodec.write(root, route.timeouts());
        ForwardingCodec.write(root, route.retries());
        FieldWriter.putIfSet(root, "script", route.script());
        ForwardingCodec.write(root, route.limits());
        ForwardingCodec.write(root, route.healthCheck());
        EdgeCodec.write(root, route);
        TrafficLimitsCodec.write(root, route.trafficLimits());
        AuthCodec.write(root, route.auth());
        UpstreamCodec.write(root, route.upstream());
        CompressionCodec.write(root, route.compression());
        return root;
    }

    public static byte[] toJson(Route route) {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(toTree(route));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot happen: a route tree always serializes", e);
        }
    }

    static String where(JsonProcessingException e) {
        JsonLocation loc = e.getLocation();
        return loc == null || loc.getLineNr() < 1 ? "" : " at line " + loc.getLineNr() + ", column " + loc.getColumnNr();
    }
}
