package io.zkgate.gateway.support;

import io.zkgate.schema.ServiceInstance;
import io.zkgate.schema.ServiceInstanceCodec;
import io.zkgate.schema.ZnodeLayout;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;

/** Writes routes and instances the way an operator or a foreign client would, through its own Curator client. */
public final class ZkWriter {
    private final CuratorFramework client;
    private final ZnodeLayout layout = ZnodeLayout.defaults();

    public ZkWriter(CuratorFramework client) {
        this.client = client;
    }

    public void putRoute(String id, String json) throws Exception {
        putRaw(layout.routePath(id), json);
    }

    public void putRaw(String path, String text) throws Exception {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        try {
            client.create().creatingParentContainersIfNeeded().forPath(path, bytes);
        } catch (KeeperException.NodeExistsException e) {
            client.setData().forPath(path, bytes);
        }
    }

    public void deleteRoute(String id) throws Exception {
        client.delete().forPath(layout.routePath(id));
    }

    /** Registers an ephemeral instance in the curator-x-discovery format. */
    public String register(String service, String id, int port, int weight) throws Exception {
        return registerAt(service, id, "127.0.0.1", port, weight);
    }

    /** Registers an ephemeral instance at {@code address} (a host name or an IP literal, IPv6 without brackets). */
    public String registerAt(String service, String id, String address, int port) throws Exception {
        return registerAt(service, id, address, port, 1);
    }

    private String registerAt(String service, String id, String address, int port, int weight) throws Exception {
        String path = layout.instancePath(service, id);
        byte[] json = ServiceInstanceCodec.toJson(
                new ServiceInstance(service, id, address, port, weight, true, System.currentTimeMillis(), Map.of()));
        client.create().creatingParentContainersIfNeeded().withMode(CreateMode.EPHEMERAL).forPath(path, json);
        return path;
    }

    /** Registers an ephemeral instance with a TLS port ({@code sslPort}) beside its plain one. */
    public String registerTls(String service, String id, int port, int sslPort) throws Exception {
        String path = layout.instancePath(service, id);
        byte[] json = ServiceInstanceCodec.toJson(new ServiceInstance(service, id, "127.0.0.1", port, 1, true,
                System.currentTimeMillis(), Map.of(), sslPort));
        client.create().creatingParentContainersIfNeeded().withMode(CreateMode.EPHEMERAL).forPath(path, json);
        return path;
    }

    public void deregister(String service, String id) throws Exception {
        client.delete().forPath(layout.instancePath(service, id));
    }

    public static String route(String id, String prefix, String service) {
        return "{\"id\":\"" + id + "\",\"match\":{\"pathPrefix\":\"" + prefix + "\"},\"service\":\"" + service + "\"}";
    }
}
