package io.zkgate.gateway.admin;

import io.zkgate.schema.ServiceInstanceCodec;
import io.zkgate.schema.ValidationException;
import io.zkgate.schema.ZnodeLayout;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Registered instances' string metadata ({@code payload.metadata}: zone, version, what the agent's
 * {@code --metadata} wrote) for {@code /admin/services}, parsed when asked, off the request path, from the control
 * plane's cache of the services tree (one cache of that tree per gateway, not two). Thread-safe: the source is.
 */
public final class InstanceMetadata {
    private final ZnodeLayout layout;
    private final Function<String, Optional<byte[]>> instanceData;

    /** @param instanceData the data of an instance znode by path, empty when unknown */
    public InstanceMetadata(ZnodeLayout layout, Function<String, Optional<byte[]>> instanceData) {
        this.layout = layout;
        this.instanceData = instanceData;
    }

    /** The metadata of instance {@code id} of {@code service}; empty when unknown or unreadable. */
    public Map<String, String> of(String service, String id) {
        String path = layout.instancePath(service, id);
        return instanceData.apply(path).map(data -> {
            try {
                return ServiceInstanceCodec.parse(path, service, id, data).metadata();
            } catch (ValidationException e) {
                return Map.<String, String>of();
            }
        }).orElse(Map.of());
    }
}
