package io.zkgate.agent;

import io.zkgate.schema.ServiceInstance;
import io.zkgate.schema.ZkClientConfigs;
import io.zkgate.schema.ZnodeLayout;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;

/**
 * What a {@link RegistryAgent.Builder} was given, checked all at once: a bad value is refused with its builder
 * method's name and the reason, every bad value in one message. Null where the builder leaves a choice open
 * ({@code id}, {@code address}, the health check, and one of {@code connectString} and {@code client}). Immutable.
 */
record AgentOptions(String connectString, CuratorFramework client, String servicesRoot, String service, String id,
        String address, int port, int weight, Map<String, String> metadata, HealthCheck healthCheck, URI healthUrl,
        Duration healthInterval, Duration healthTimeout, int healthFailures, int healthSuccesses,
        Duration drainPeriod, Duration sessionTimeout, Duration connectionTimeout, String zkAuth,
        boolean shutdownHook) {
    AgentOptions {
        metadata = Map.copyOf(metadata);
        List<String> problems = new ArrayList<>();
        if ((connectString == null) == (client == null)) {
            problems.add("connectString or client: give exactly one");
        }
        if (connectString != null && connectString.isBlank()) {
            problems.add("connectString: empty (expected: host:port[,host:port...])");
        }
        if (!ZnodeLayout.isValidName(service)) {
            problems.add("service: '" + service + "' (" + ZnodeLayout.nameRule() + ")");
        }
        if (id != null && !ZnodeLayout.isValidName(id)) {
            problems.add("id: '" + id + "' (" + ZnodeLayout.nameRule() + ")");
        }
        if (address != null && address.isBlank()) {
            problems.add("address: empty (expected: a host name or IP address)");
        }
        if (port < 1 || port > 65535) {
            problems.add("port: " + port + " (expected: 1-65535)");
        }
        if (weight < 0 || weight > ServiceInstance.MAX_WEIGHT) {
            problems.add("weight: " + weight + " (expected: 0-" + ServiceInstance.MAX_WEIGHT
                    + ")");
        }
        if (metadata.containsKey("weight")) {
            problems.add("metadata: 'weight' (expected: other keys; the weight is written from weight())");
        }
        if (healthInterval.toMillis() < 10) {
            problems.add("healthInterval: " + healthInterval.toMillis() + " ms (expected: >= 10 ms)");
        }
        if (healthTimeout.toMillis() < 1) {
            problems.add("healthTimeout: " + healthTimeout.toMillis() + " ms (expected: >= 1 ms)");
        }
        if (healthFailures < 1) {
            problems.add("healthFailures: " + healthFailures + " (expected: >= 1)");
        }
        if (healthSuccesses < 1) {
            problems.add("healthSuccesses: " + healthSuccesses + " (expected: >= 1)");
        }
        if (drainPeriod.isNegative()) {
            problems.add("drainPeriod: " + drainPeriod + " (expected: >= 0)");
        }
        if (zkAuth != null && zkAuth.indexOf(':') <= 0) {
            problems.add("zkAuth: expected user:password");
        }
        if (zkAuth != null && client != null) {
            problems.add("zkAuth: only for the agent's own client (authenticate the given client instead)");
        }
        try {
            new ZnodeLayout(ZnodeLayout.DEFAULT_ZKGATE_ROOT, servicesRoot);
        } catch (IllegalArgumentException e) {
            problems.add(e.getMessage());
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
    }

    /** The client the agent makes from a connect string; with {@code zkAuth} its nodes get {@link InstanceAcl}. */
    CuratorFramework newClient(String instancePath) {
        CuratorFrameworkFactory.Builder cb = CuratorFrameworkFactory.builder()
                .connectString(connectString)
                .zkClientConfig(ZkClientConfigs.fromSystemProperties())
                .sessionTimeoutMs((int) sessionTimeout.toMillis())
                .connectionTimeoutMs((int) connectionTimeout.toMillis())
                .retryPolicy(new ExponentialBackoffRetry(200, 3, 2000));
        if (zkAuth != null) {
            cb.authorization("digest", zkAuth.getBytes(StandardCharsets.UTF_8))
                    .aclProvider(new InstanceAcl(instancePath));
        }
        return cb.build();
    }
}
