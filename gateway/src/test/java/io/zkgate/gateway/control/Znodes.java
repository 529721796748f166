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

    /** The policies of a fleet-shaped table, one per route in turn (so all routes of one service share one). */
    static final String[] FLEET_POLICIES = {"\"round_robin\"", "\"least_request\"",
        "\"consistent_hash\",\"hashKey\":\"header:X-User\"", "\"weighted_round_robin\""};

    /**
     * Fills both registries (and marks them read in full) with a table shaped like the fleet test's: route {@code r}
     * on service {@code r % services} with the {@code r % 4}th policy, {@code perService} instances per service.
     */
    static void fleet(RouteRegistry routes, ServiceRegistry services, int routeCount, int serviceCount,
            int perService) {
        routes.sync();
        for (int r = 0; r < routeCount; r++) {
            String json = "{\"id\":\"r" + r + "\",\"match\":{\"pathPrefix\":\"/t" + r % 100 + "/r" + r + "\"},"
                    + "\"service\":\"s" + r % serviceCount + "\",\"lb\":{\"policy\":"
                    + FLEET_POLICIES[r % FLEET_POLICIES.length] + "}}";
            routes.put("r" + r, route("r" + r, json, r + 1, r + 1, 0));
        }
        for (int s = 0; s < serviceCount; s++) {
            for (int i = 0; i < perService; i++) {
                services.put("/services/s" + s + "/i" + i, fleetInstance(s, i));
            }
        }
        services.sync();
    }

    /** Instance {@code i} of fleet service {@code s}: curator-x-discovery JSON, one address per service. */
    static byte[] fleetInstance(int s, int i) {
        return ("{\"name\":\"s" + s + "\",\"id\":\"i" + i + "\",\"address\":\"10.1." + s / 250 + "." + s % 250
                + "\",\"port\":" + (10_000 + i) + ",\"payload\":{\"@class\":\"x\",\"weight\":1}}")
                .getBytes(StandardCharsets.UTF_8);
    }
}
