package io.zkgate.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Where a route's requests go, read and written for {@link RouteCodec}: one {@code service} or a weighted split over
 * {@code backends} (exactly one of the two), and the {@code mirror} that gets copies. Stateless.
 */
final class SplitCodec {
    private static final Set<String> BACKEND_FIELDS = Set.of("service", "weight");
    private static final Set<String> MIRROR_FIELDS = Set.of("service", "percent");
    static final int MAX_BACKENDS = 16;
    static final int MAX_BACKEND_WEIGHT = 10_000;

    private SplitCodec() {}

    /** The route's {@code service}, or null when it is a split or the service is missing or wrong. */
    static String service(FieldReader r, JsonNode tree) {
        boolean split = isSplit(tree);
        JsonNode serviceNode = tree.get("service");
        if (serviceNode == null || serviceNode.isNull()) {
            if (!split) {
                r.problem("service", "missing (expected: a service name, or a backends list for a weighted split)");
            }
            return null;
        }
        if (split) {
            r.problem("backends", "set together with service (expected: exactly one of service and backends)");
            return null;
        }
        return serviceName(r, tree, "service", "service");
    }

    private static boolean isSplit(JsonNode tree) {
        return tree.hasNonNull("backends");
    }

    /** A service name, checked as a znode name; null (after a problem, when wrong) or absent. */
    private static String serviceName(FieldReader r, JsonNode parent, String field, String name) {
        String service = r.string(parent, field, name, true);
        if (service != null && !ZnodeLayout.isValidName(service)) {
            r.problem(field, "'" + service + "' (" + ZnodeLayout.nameRule() + ")");
            return null;
        }
        return service;
    }

    /** The sides of {@code backends}: 1 to 16 distinct services with weights summing to more than 0; or null. */
    static List<Route.Backend> backends(FieldReader r, JsonNode tree) {
        if (!isSplit(tree)) {
            return null;
        }
        JsonNode list = tree.get("backends");
        if (!list.isArray() || list.isEmpty() || list.size() > MAX_BACKENDS) {
            r.problem("backends", (list.isArray() ? list.size() + " entries" : FieldReader.aKind(list))
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
                r.problem(f, FieldReader.aKind(b)
                        + " (expected: an object such as {\"service\": \"orders\", \"weight\": 95})");
                bad = true;
                continue;
            }
            r.unknown(b, f + ".", BACKEND_FIELDS);
            String service = serviceName(r, b, f + ".service", "service");
            if (service != null && !seen.add(service)) {
                r.problem(f + ".service", "'" + service
                        + "' is already a side of this split (expected: each service once)");
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

    /** The {@code mirror} block: a service and the percentage of requests copied to it (default 100); or null. */
    static Route.Mirror mirror(FieldReader r, JsonNode tree) {
        JsonNode node = r.block(tree, "mirror", MIRROR_FIELDS);
        if (node == null) {
            return null;
        }
        String service = serviceName(r, node, "mirror.service", "service");
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

    /** Writes {@code service} or {@code backends}, then {@code mirror} when set. */
    static void write(ObjectNode root, Route route) {
        if (route.service() != null) {
            root.put("service", route.service());
        } else {
            ArrayNode sides = root.putArray("backends");
            for (Route.Backend b : route.backends()) {
                sides.addObject().put("service", b.service()).put("weight", b.weight());
            }
        }
        Route.Mirror mirror = route.mirror();
        if (mirror != null) {
            ObjectNode m = root.putObject("mirror").put("service", mirror.service());
            double percent = mirror.percent();
            if (percent == Math.rint(percent)) {
                m.put("percent", (int) percent);
            } else {
                m.put("percent", percent);
            }
        }
    }
}
