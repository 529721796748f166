package io.zkgate.gateway.control;

import com.fasterxml.jackson.databind.JsonNode;
import io.zkgate.schema.Problem;
import io.zkgate.schema.ServiceInstance;
import io.zkgate.schema.ServiceInstanceCodec;
import io.zkgate.schema.ValidationException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * The registration formats the gateway reads as their ecosystems write them, told apart per znode by their fields:
 * <ul>
 *   <li>Finagle / Aurora ServerSets ({@code serviceEndpoint}): {@code ALIVE} members only (others are kept, not
 *       routed); reached on the additional endpoint {@value #SERVERSET_ENDPOINT} when the member announces one, else
 *       on its service endpoint;
 *   <li>Airbnb Nerve ({@code host} and {@code port}, no {@code address}), with its optional {@code weight};
 *   <li>Apache Dubbo 3 application-level registrations (curator-x-discovery JSON with Dubbo's payload class or a
 *       {@code dubbo.endpoints} metadata entry): reached on the {@code tri} endpoint, else the {@code rest} one, never
 *       on a binary {@code dubbo} port; an instance with neither is refused;
 *   <li>curator-x-discovery and Spring Cloud Zookeeper: everything else.
 * </ul>
 * A payload none of them can read is refused with the reason. Stateless.
 */
final class InstanceFormats {
    /** The ServerSet additional endpoint preferred when a member announces it. */
    static final String SERVERSET_ENDPOINT = "http";
    static final String DUBBO_PAYLOAD_CLASS = "org.apache.dubbo.registry.zookeeper.ZookeeperInstance";
    static final String DUBBO_ENDPOINTS = "dubbo.endpoints";
    private static final List<String> DUBBO_HTTP_PROTOCOLS = List.of("tri", "rest");

    private InstanceFormats() {}

    /**
     * @param path       the instance znode, named in problems
     * @param service    the service it is registered under
     * @param instanceId the znode name
     */
    static ServiceInstance decode(String path, String service, String instanceId, byte[] data)
            throws ValidationException {
        JsonNode tree = ServiceInstanceCodec.readTree(path, data);
        if (tree != null && tree.isObject() && tree.has("serviceEndpoint")) {
            return serverSet(path, service, instanceId, tree);
        }
        if (tree != null && tree.isObject() && tree.has("host") && !tree.has("address")) {
            JsonNode weight = tree.path("weight");
            return endpoint(path, service, instanceId, tree, "", weight.canConvertToInt() ? weight.asInt() : 1, true);
        }
        ServiceInstance instance = ServiceInstanceCodec.fromTree(path, service, instanceId, tree);
        String endpoints = instance.metadata().get(DUBBO_ENDPOINTS);
        boolean dubbo = DUBBO_PAYLOAD_CLASS.equals(tree.path("payload").path("@class").asText(null));
        return endpoints == null && !dubbo ? instance : dubbo(path, instance, endpoints);
    }

    private static ServiceInstance serverSet(String path, String service, String instanceId, JsonNode tree)
            throws ValidationException {
        JsonNode named = tree.path("additionalEndpoints").path(SERVERSET_ENDPOINT);
        String field = named.isObject() ? "additionalEndpoints." + SERVERSET_ENDPOINT + "." : "serviceEndpoint.";
        JsonNode endpoint = named.isObject() ? named : tree.path("serviceEndpoint");
        return endpoint(path, service, instanceId, endpoint, field, 1, "ALIVE".equals(tree.path("status").asText()));
    }

    /** An instance at {@code node}'s {@code host} and {@code port} (fields named {@code prefix + "host"}...). */
    private static ServiceInstance endpoint(String path, String service, String instanceId, JsonNode node,
            String prefix, int weight, boolean enabled) throws ValidationException {
        String host = node.path("host").asText("");
        int port = node.path("port").canConvertToInt() ? node.path("port").asInt() : -1;
        if (host.isBlank()) {
            throw new ValidationException(new Problem(path, prefix + "host", "missing (expected: a host name or IP)"));
        }
        if (port < 1 || port > 65535) {
            throw new ValidationException(new Problem(path, prefix + "port",
                    node.path("port") + " (expected: an integer from 1 to 65535)"));
        }
        if (weight < 0 || weight > ServiceInstance.MAX_WEIGHT) {
            throw new ValidationException(new Problem(path, "weight",
                    weight + " (expected: an integer from 0 to " + ServiceInstance.MAX_WEIGHT + ")"));
        }
        return new ServiceInstance(service, instanceId, host, port, weight, enabled, 0, Map.of());
    }

    private static ServiceInstance dubbo(String path, ServiceInstance instance, String endpoints)
            throws ValidationException {
        String field = "payload.metadata." + DUBBO_ENDPOINTS;
        JsonNode list = endpoints == null ? null : ServiceInstanceCodec.readTree(path + " " + field,
                endpoints.getBytes(StandardCharsets.UTF_8));
        for (String protocol : DUBBO_HTTP_PROTOCOLS) {
            for (JsonNode e : list == null ? List.<JsonNode>of() : list) {
                if (protocol.equals(e.path("protocol").asText()) && e.path("port").canConvertToInt()) {
                    int port = e.path("port").asInt();
                    if (port >= 1 && port <= 65535) {
                        return instance.withPort(port);
                    }
                }
            }
        }
        throw new ValidationException(new Problem(path, field, (endpoints == null ? "missing" : endpoints)
                + " (expected: a tri or rest endpoint; the dubbo protocol is not HTTP)"));
    }
}
