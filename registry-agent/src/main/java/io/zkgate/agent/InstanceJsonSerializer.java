package io.zkgate.agent;

import io.zkgate.schema.ServiceInstanceCodec;
import io.zkgate.schema.ValidationException;
import java.util.HashMap;
import java.util.Map;
import org.apache.curator.x.discovery.ServiceInstance;
import org.apache.curator.x.discovery.ServiceType;
import org.apache.curator.x.discovery.details.InstanceSerializer;

/**
 * Curator {@link InstanceSerializer} that writes and reads the project's one instance format
 * ({@link ServiceInstanceCodec}), so what the agent writes is exactly what the gateway and Spring read. Stateless.
 */
public final class InstanceJsonSerializer implements InstanceSerializer<InstancePayload> {
    @Override
    public byte[] serialize(ServiceInstance<InstancePayload> instance) {
        InstancePayload payload = instance.getPayload() == null ? new InstancePayload(1, Map.of()) : instance.getPayload();
        return ServiceInstanceCodec.toJson(new io.zkgate.schema.ServiceInstance(
                instance.getName(),
                instance.getId(),
                instance.getAddress(),
                instance.getPort(),
                payload.weight(),
                instance.isEnabled(),
                instance.getRegistrationTimeUTC(),
                payload.metadata()));
    }

    @Override
    public ServiceInstance<InstancePayload> deserialize(byte[] bytes) throws Exception {
        io.zkgate.schema.ServiceInstance parsed;
        try {
            parsed = ServiceInstanceCodec.parse("(instance)", null, null, bytes);
        } catch (ValidationException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        Map<String, String> metadata = new HashMap<>(parsed.metadata());
        metadata.remove("weight");
        return new ServiceInstance<>(parsed.name(), parsed.id(), parsed.address(), parsed.port(), null,
                new InstancePayload(parsed.weight(), metadata), parsed.registrationTimeUtc(), ServiceType.DYNAMIC,
                null, parsed.enabled());
    }
}
