package io.zkgate.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Set;

/**
 * How a route forwards to its service's instances, read and written for {@link RouteCodec}: {@code lb} (which
 * instance), {@code timeouts}, {@code retries}, {@code limits} (the largest body taken) and the active
 * {@code healthCheck}. Stateless.
 */
final class ForwardingCodec {
    private static final Set<String> LB_FIELDS = Set.of("policy", "hashKey", "boundedLoad");
    private static final Set<String> TIMEOUT_FIELDS = Set.of("connectMs", "responseMs");
    private static final Set<String> RETRY_FIELDS = Set.of("attempts");
    private static final Set<String> LIMIT_FIELDS = Set.of("maxBodyBytes");
    private static final Set<String> HEALTH_FIELDS =
            Set.of("path", "intervalMs", "timeoutMs", "unhealthyThreshold", "healthyThreshold");
    static final int MAX_TIMEOUT_MS = 3_600_000;
    static final int MAX_RETRIES = 10;

    private ForwardingCodec() {}

    static Route.LoadBalancing lb(FieldReader r, JsonNode tree) {
        JsonNode lbNode = r.block(tree, "lb", LB_FIELDS);
        if (lbNode == null) {
            return null;
        }
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
        if (policy != null && policy != Policy.CONSISTENT_HASH) {
            if (hashKeyText != null) {
                r.problem("lb.hashKey", "set, but policy is " + policy.wireName()
                        + " (expected: only with consistent_hash)");
            }
            if (bl != null && !bl.isNull()) {
                r.problem("lb.boundedLoad", "set, but policy is " + policy.wireName()
                        + " (expected: only with consistent_hash)");
            }
        }
        return new Route.LoadBalancing(policy, hashKey, boundedLoad);
    }

    static Route.Timeouts timeouts(FieldReader r, JsonNode tree) {
        JsonNode node = r.block(tree, "timeouts", TIMEOUT_FIELDS);
        if (node == null) {
            return null;
        }
        return new Route.Timeouts(
                r.integer(node, "timeouts.connectMs", "connectMs", 1, MAX_TIMEOUT_MS),
                r.integer(node, "timeouts.responseMs", "responseMs", 1, MAX_TIMEOUT_MS));
    }

    static Route.Retries retries(FieldReader r, JsonNode tree) {
        JsonNode node = r.block(tree, "retries", RETRY_FIELDS);
        if (node == null) {
            return null;
        }
        return new Route.Retries(r.integer(node, "retries.attempts", "attempts", 0, MAX_RETRIES));
    }

    static Route.Limits limits(FieldReader r, JsonNode tree) {
        JsonNode node = r.block(tree, "limits", LIMIT_FIELDS);
        if (node == null) {
            return null;
        }
        JsonNode max = node.get("maxBodyBytes");
        Long maxBody = null;
        if (max != null && !max.isNull()) {
            if (!max.isIntegralNumber() || max.asLong() < 0) {
                r.problem("limits.maxBodyBytes", max + " (expected: an integer >= 0)");
            } else {
                maxBody = max.asLong();
            }
        }
        return new Route.Limits(maxBody);
    }

    /** The health check, its left-out numbers filled with the defaults; null when absent or its path is wrong. */
    static Route.HealthCheck healthCheck(FieldReader r, JsonNode tree) {
        JsonNode node = r.block(tree, "healthCheck", HEALTH_FIELDS);
        if (node == null) {
            return null;
        }
        String path = r.string(node, "healthCheck.path", "path", true);
        if (path != null && (!path.startsWith("/") || path.contains(" "))) {
            r.problem("healthCheck.path", "'" + path + "' (expected: a path starting with '/')");
            path = null;
        }
        Integer interval = r.integer(node, "healthCheck.intervalMs", "intervalMs", 100, MAX_TIMEOUT_MS);
        Integer timeout = r.integer(node, "healthCheck.timeoutMs", "timeoutMs", 10, MAX_TIMEOUT_MS);
        Integer unhealthy = r.integer(node, "healthCheck.unhealthyThreshold", "unhealthyThreshold", 1, 100);
        Integer healthy = r.integer(node, "healthCheck.healthyThreshold", "healthyThreshold", 1, 100);
        if (path == null) {
            return null;
        }
        return new Route.HealthCheck(path,
                interval == null ? Route.HealthCheck.DEFAULT_INTERVAL_MS : interval,
                timeout == null ? Route.HealthCheck.DEFAULT_TIMEOUT_MS : timeout,
                unhealthy == null ? Route.HealthCheck.DEFAULT_UNHEALTHY : unhealthy,
                healthy == null ? Route.HealthCheck.DEFAULT_HEALTHY : healthy);
    }

    static void write(ObjectNode root, Route.LoadBalancing lb) {
        if (lb == null) {
            return;
        }
        ObjectNode n = root.putObject("lb");
        if (lb.policy() != null) {
            n.put("policy", lb.policy().wireName());
        }
        if (lb.hashKey() != null) {
            n.put("hashKey", lb.hashKey().toString());
        }
        if (lb.boundedLoad() != null) {
            n.put("boundedLoad", lb.boundedLoad());
        }
    }

    static void write(ObjectNode root, Route.Timeouts timeouts) {
        if (timeouts != null) {
            ObjectNode t = root.putObject("timeouts");
            FieldWriter.putIfSet(t, "connectMs", timeouts.connectMs());
            FieldWriter.putIfSet(t, "responseMs", timeouts.responseMs());
        }
    }

    static void write(ObjectNode root, Route.Retries retries) {
        if (retries != null && retries.attempts() != null) {
            root.putObject("retries").put("attempts", retries.attempts());
        }
    }

    static void write(ObjectNode root, Route.Limits limits) {
        if (limits != null && limits.maxBodyBytes() != null) {
            root.putObject("limits").put("maxBodyBytes", limits.maxBodyBytes());
        }
    }

    static void write(ObjectNode root, Route.HealthCheck hc) {
        if (hc != null) {
            root.putObject("healthCheck")
                    .put("path", hc.path())
                    .put("intervalMs", hc.intervalMs())
                    .put("timeoutMs", hc.timeoutMs())
                    .put("unhealthyThreshold", hc.unhealthyThreshold())
                    .put("healthyThreshold", hc.healthyThreshold());
        }
    }
}
