package io.zkgate.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiConsumer;

/**
 * Reads and writes a route's {@code rateLimit} and {@code maxInFlight} fields for {@link RouteCodec}: the one
 * validation of both, shared by {@code zkgate-ctl routes validate} and the gateway. Stateless.
 */
final class TrafficLimitsCodec {
    private static final Set<String> RATE_FIELDS = Set.of("requestsPerSecond", "burst", "key", "scope");
    /** Beyond this a rate limit is not a limit any more; also keeps a request's interval above one nanosecond. */
    static final double MAX_RATE = 1_000_000;
    static final int MAX_BURST = 10_000_000;
    static final int MAX_IN_FLIGHT = 1_000_000;

    private TrafficLimitsCodec() {}

    /**
     * The route's limits, or null when it has neither field; each problem goes to {@code problem} as (field, reason).
     */
    static TrafficLimits read(JsonNode tree, BiConsumer<String, String> problem) {
        JsonNode rate = tree.get("rateLimit");
        JsonNode inFlight = tree.get("maxInFlight");
        boolean hasRate = rate != null && !rate.isNull();
        boolean hasInFlight = inFlight != null && !inFlight.isNull();
        if (!hasRate && !hasInFlight) {
            return null;
        }
        List<TrafficLimits.RateLimit> limits = new ArrayList<>();
        if (hasRate) {
            if (rate.isObject()) {
                add(limits, rateLimit(rate, "rateLimit", problem));
            } else if (rate.isArray()) {
                if (rate.isEmpty()) {
                    problem.accept("rateLimit", "an empty array (expected: a rate limit object or a non-empty array "
                            + "of them)");
                }
                for (int i = 0; i < rate.size(); i++) {
                    JsonNode one = rate.get(i);
                    if (one.isObject()) {
                        add(limits, rateLimit(one, "rateLimit[" + i + "]", problem));
                    } else {
                        problem.accept("rateLimit[" + i + "]", FieldReader.aKind(one)
                                + " (expected: a rate limit object)");
                    }
                }
            } else {
                problem.accept("rateLimit", FieldReader.aKind(rate)
                        + " (expected: a rate limit object or an array of them)");
            }
        }
        Integer maxInFlight = null;
        if (hasInFlight) {
            if (!inFlight.isIntegralNumber() || !inFlight.canConvertToInt() || inFlight.asInt() < 1
                    || inFlight.asInt() > MAX_IN_FLIGHT) {
                problem.accept("maxInFlight", inFlight + " (expected: an integer from 1 to " + MAX_IN_FLIGHT + ")");
            } else {
                maxInFlight = inFlight.asInt();
            }
        }
        return new TrafficLimits(limits, maxInFlight);
    }

    private static void add(List<TrafficLimits.RateLimit> limits, TrafficLimits.RateLimit limit) {
        if (limit != null) {
            limits.add(limit);
        }
    }

    private static TrafficLimits.RateLimit rateLimit(JsonNode node, String at, BiConsumer<String, String> problem) {
        boolean ok = true;
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!RATE_FIELDS.contains(name)) {
                problem.accept(at + "." + name, "unknown field (expected one of: " + new TreeSet<>(RATE_FIELDS) + ")");
                ok = false;
            }
        }
        JsonNode rps = node.get("requestsPerSecond");
        double rate = 0;
        if (rps == null || rps.isNull()) {
            problem.accept(at + ".requestsPerSecond", "missing (expected: a number of requests per second > 0)");
            ok = false;
        } else if (!rps.isNumber() || !(rps.asDouble() > 0) || rps.asDouble() > MAX_RATE) {
            problem.accept(at + ".requestsPerSecond", rps + " (expected: a number > 0 and <= " + (long) MAX_RATE
                    + "; a rate of zero would refuse everything: take the route away instead)");
            ok = false;
        } else {
            rate = rps.asDouble();
        }
        JsonNode burstNode = node.get("burst");
        int burst = 0;
        if (burstNode == null || burstNode.isNull()) {
            burst = ok ? (int) Math.min(MAX_BURST, Math.max(1, Math.ceil(rate))) : 1;
        } else if (!burstNode.isIntegralNumber() || !burstNode.canConvertToInt() || burstNode.asInt() < 1
                || burstNode.asInt() > MAX_BURST) {
            problem.accept(at + ".burst", burstNode + " (expected: an integer from 1 to " + MAX_BURST + ")");
            ok = false;
        } else {
            burst = burstNode.asInt();
        }
        JsonNode keyNode = node.get("key");
        TrafficLimits.Key key = null;
        if (keyNode == null || keyNode.isNull()) {
            problem.accept(at + ".key", "missing (expected: " + TrafficLimits.Key.FORMS + ")");
            ok = false;
        } else {
            key = keyNode.isTextual() ? TrafficLimits.Key.parse(keyNode.asText()) : null;
            if (key == null) {
                problem.accept(at + ".key", keyNode + " (expected: " + TrafficLimits.Key.FORMS + ")");
                ok = false;
            }
        }
        JsonNode scopeNode = node.get("scope");
        TrafficLimits.Scope scope = TrafficLimits.Scope.GATEWAY;
        if (scopeNode != null && !scopeNode.isNull()) {
            scope = scopeNode.isTextual() ? TrafficLimits.Scope.fromWireName(scopeNode.asText()) : null;
            if (scope == null) {
                problem.accept(at + ".scope", scopeNode + " (expected: gateway or fleet)");
                ok = false;
            }
        }
        return ok ? new TrafficLimits.RateLimit(rate, burst, key, scope) : null;
    }

    /** Writes the route's limits into its JSON tree: one rate limit as an object, several as an array. */
    static void write(ObjectNode root, TrafficLimits limits) {
        if (limits == null) {
            return;
        }
        List<TrafficLimits.RateLimit> rates = limits.rateLimits();
        if (rates.size() == 1) {
            write(rates.get(0), root.putObject("rateLimit"));
        } else if (rates.size() > 1) {
            ArrayNode array = root.putArray("rateLimit");
            rates.forEach(r -> write(r, array.addObject()));
        }
        if (limits.maxInFlight() != null) {
            root.put("maxInFlight", limits.maxInFlight());
        }
    }

    private static void write(TrafficLimits.RateLimit limit, ObjectNode node) {
        double rps = limit.requestsPerSecond();
        if (rps == Math.rint(rps)) {
            node.put("requestsPerSecond", (long) rps);
        } else {
            node.put("requestsPerSecond", rps);
        }
        node.put("burst", limit.burst());
        node.put("key", limit.key().toString());
        node.put("scope", limit.scope().wireName());
    }
}
