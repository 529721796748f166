package io.zkgate.schema;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes curator-x-discovery {@code ServiceInstance} JSON. The payload is read as a plain JSON tree, so
 * instances written by any client (Curator with any payload class, Spring Cloud Zookeeper) are understood.
 *
 * <p>Weight: {@code payload.weight} (number or numeric string), else {@code payload.metadata.weight} (Spring Cloud
 * Zookeeper writes metadata values as strings), else 1. Weight 0 means drained. Stateless and thread-safe.
 */
public final class ServiceInstanceCodec {
    /** The payload class Spring Cloud Zookeeper reads; written so that Spring services can read our instances. */
    public static final String SPRING_PAYLOAD_CLASS = "org.springframework.cloud.zookeeper.discovery.ZookeeperInstance";

    private ServiceInstanceCodec() {}

    /**
     * @param source     znode path, used in messages
     * @param service    the service the znode is stored under (its parent's name); used when {@code name} is absent
     * @param instanceId the znode name; used when {@code id} is absent
     */
    public static ServiceInstance parse(String source, String service, String instanceId, byte[] json)
            throws ValidationException {
        return fromTree(source, service, instanceId, readTree(source, json));
    }

    /** Reads a registration's JSON, whatever its format; the problem names {@code source} when it is not JSON. */
    public static JsonNode readTree(String source, byte[] json) throws ValidationException {
        try {
            return RouteCodec.JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new ValidationException(new Problem(source, "(document)",
                    "invalid JSON" + RouteCodec.where(e) + ": " + e.getOriginalMessage()));
        } catch (IOException e) {
            throw new ValidationException(new Problem(source, "(document)", "unreadable: " + e.getMessage()));
        }
    }

    /** The same as {@link #parse} for JSON already read into a tree. */
    public static ServiceInstance fromTree(String source, String service, String instanceId, JsonNode tree)
            throws ValidationException {
        if (tree == null || !tree.isObject()) {
            throw new ValidationException(new Problem(source, "(document)",
                    (tree == null || tree.isMissingNode() ? "empty" : FieldReader.aKind(tree))
                            + " (expected: a curator-x-discovery ServiceInstance object)"));
        }
        List<Problem> problems = new ArrayList<>();
        String name = text(tree.get("name"), service);
        String id = text(tree.get("id"), instanceId);
        String address = text(tree.get("address"), null);
        if (address == null || address.isBlank()) {
            problems.add(new Problem(source, "address", "missing (expected: a host name or IP address)"));
        }
        JsonNode portNode = tree.get("port");
        int port = -1;
        if (portNode == null || portNode.isNull()) {
            problems.add(new Problem(source, "port", "missing (expected: the plain HTTP port, 1-65535)"));
        } else {
            port = port(portNode);
            if (port < 1) {
                problems.add(new Problem(source, "port", portNode + " (expected: an integer from 1 to 65535)"));
            }
        }
        JsonNode sslPortNode = tree.get("sslPort");
        int sslPort = 0;
        if (sslPortNode != null && !sslPortNode.isNull()) {
            sslPort = port(sslPortNode);
            if (sslPort < 1) {
                problems.add(new Problem(source, "sslPort", sslPortNode
                        + " (expected: null, or an integer from 1 to 65535)"));
            }
        }
        JsonNode enabledNode = tree.get("enabled");
        boolean enabled = enabledNode == null || enabledNode.isNull() || enabledNode.asBoolean(true);
        JsonNode timeNode = tree.get("registrationTimeUTC");
        long registered = timeNode != null && timeNode.isNumber() ? timeNode.asLong() : 0L;

        JsonNode payload = tree.get("payload");
        Map<String, String> metadata = new LinkedHashMap<>();
        int weight = ServiceInstance.DEFAULT_WEIGHT;
        if (payload != null && payload.isObject()) {
            JsonNode meta = payload.get("metadata");
            if (meta != null && meta.isObject()) {
                for (Iterator<Map.Entry<String, JsonNode>> it = meta.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    if (!e.getValue().isNull() && !e.getKey().equals("weight")) {
                        metadata.put(e.getKey(), e.getValue().isTextual() ? e.getValue().asText() : e.getValue().toString());
                    }
                }
            }
            JsonNode w = payload.get("weight");
            String field = "payload.weight";
            if (w == null || w.isNull()) {
                w = meta != null && meta.isObject() ? meta.get("weight") : null;
                field = "payload.metadata.weight";
            }
            if (w != null && !w.isNull()) {
                Integer parsed = weight(w);
                if (parsed == null) {
                    problems.add(new Problem(source, field,
                            w + " (expected: an integer from 0 to " + ServiceInstance.MAX_WEIGHT + ")"));
                } else {
                    weight = parsed;
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new ValidationException(problems);
        }
        return new ServiceInstance(name, id, address, port, weight, enabled, registered, metadata, sslPort);
    }

    /** The port as a JSON integer, or as a string of digits (hand-written registrations); -1 when neither. */
    private static int port(JsonNode node) {
        long value;
        if (node.isIntegralNumber()) {
            value = node.asLong();
        } else if (node.isTextual() && node.asText().trim().matches("\\d{1,5}")) {
            value = Long.parseLong(node.asText().trim());
        } else {
            return -1;
        }
        return value >= 1 && value <= 65535 ? (int) value : -1;
    }

    /**
     * Writes the instance in curator-x-discovery's format with a Spring Cloud Zookeeper payload
     * ({@code metadata.weight} as a string), readable by the gateway, Curator's own discovery and Spring.
     */
    public static byte[] toJson(ServiceInstance instance) {
        ObjectNode root = RouteCodec.JSON.createObjectNode();
        root.put("name", instance.name());
        root.put("id", instance.id());
        root.put("address", instance.address());
        root.put("port", instance.port());
        if (instance.sslPort() > 0) {
            root.put("sslPort", instance.sslPort());
        } else {
            root.putNull("sslPort");
        }
        ObjectNode payload = root.putObject("payload");
        payload.put("@class", SPRING_PAYLOAD_CLASS);
        payload.put("id", instance.id());
        payload.put("name", instance.name());
        ObjectNode meta = payload.putObject("metadata");
        instance.metadata().forEach(meta::put);
        meta.put("weight", Integer.toString(instance.weight()));
        root.put("registrationTimeUTC", instance.registrationTimeUtc());
        root.put("serviceType", "DYNAMIC");
        root.putNull("uriSpec");
        root.put("enabled", instance.enabled());
        try {
            return RouteCodec.JSON.writeValueAsBytes(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot happen: an instance tree always serializes", e);
        }
    }

    private static Integer weight(JsonNode w) {
        long value;
        if (w.isIntegralNumber()) {
            value = w.asLong();
        } else if (w.isTextual()) {
            try {
                value = Long.parseLong(w.asText().trim());
            } catch (NumberFormatException e) {
                return null;
            }
        } else {
            return null;
        }
        return value < 0 || value > ServiceInstance.MAX_WEIGHT ? null : (int) value;
    }

    private static String text(JsonNode node, String fallback) {
        return node != null && node.isTextual() && !node.asText().isEmpty() ? node.asText() : fallback;
    }
}
