package io.zkgate.gateway.control;

import java.nio.charset.StandardCharsets;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.zookeeper.data.Stat;

/** Znode data as a {@code CuratorCache} hands it over, built without a ZooKeeper for the registries' unit tests. */
final class Znodes {
    static final String ROUTES = "/zkgate/routes";

    private Znodes() {}

    /** A route znode {@code /zkgate/routes/<id>} created at {@code czxid}, last written at {@code mzxid}. */
    static ChildData route(String id, String json, long czxid, long mzxid, int version) {
        Stat stat = new Stat();
        stat.setCzxid(czxid);
        stat.setMzxid(mzxid);
        stat.setVersion(version);
        return new ChildData(ROUTES + "/" + id, stat, json.getBytes(StandardCharsets.UTF_8));
    }

    /** Route JSON with a prefix, a service and optionally methods. */
    static String routeJson(String id, String prefix, String service, String... methods) {
        StringBuilder m = new StringBuilder();
        for (String method : methods) {
            m.append(m.length() == 0 ? "" : ",").append('"').append(method).append('"');
        }
        return "{\"id\":\"" + id + "\",\"match\":{\"pathPrefix\":\"" + prefix + "\""
                + (methods.length == 0 ? "" : ",\"methods\":[" + m + "]") + "},\"service\":\"" + service + "\"}";
    }

    /** curator-x-discovery instance JSON on 127.0.0.1. */
    static byte[] instance(String id, int port, int weight) {
        return ("{\"name\":\"svc\",\"id\":\"" + id + "\",\"address\":\"127.0.0.1\",\"port\":" + port
                + ",\"payload\":{\"@class\":\"x\",\"weight\":" + weight + "}}").getBytes(StandardCharsets.UTF_8);
    }
}
