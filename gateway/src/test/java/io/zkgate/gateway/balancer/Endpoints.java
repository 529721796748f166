package io.zkgate.gateway.balancer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.UUID;

/** Endpoint arrays for balancer tests, sorted the way snapshots sort them. */
final class Endpoints {
    private Endpoints() {}

    /** Endpoints a, b, c, ... with the given weights, on ports 9001, 9002, ... */
    static Endpoint[] named(int... weights) {
        Endpoint[] e = new Endpoint[weights.length];
        for (int i = 0; i < weights.length; i++) {
            e[i] = new Endpoint("svc", String.valueOf((char) ('a' + i)), "127.0.0.1", 9001 + i, weights[i]);
        }
        return e;
    }

    /** {@code n} endpoints with UUID ids as curator-x-discovery writes them, weight 1, sorted. */
    static Endpoint[] uuids(int n) {
        Endpoint[] e = new Endpoint[n];
        for (int i = 0; i < n; i++) {
            e[i] = uuid(i, 1);
        }
        Arrays.sort(e);
        return e;
    }

    /** The {@code i}-th UUID-named endpoint; the same {@code i} always gives the same id. */
    static Endpoint uuid(int i, int weight) {
        String id = UUID.nameUUIDFromBytes(("instance-" + i).getBytes(StandardCharsets.UTF_8)).toString();
        return new Endpoint("svc", id, "10.0.0." + (i + 1), 8080, weight);
    }

    static Endpoint[] plus(Endpoint[] endpoints, Endpoint extra) {
        Endpoint[] e = Arrays.copyOf(endpoints, endpoints.length + 1);
        e[endpoints.length] = extra;
        Arrays.sort(e);
        return e;
    }

    static String ids(Endpoint[] picks) {
        StringBuilder sb = new StringBuilder();
        for (Endpoint p : picks) {
            if (sb.length() > 0) {
                sb.append(',');
            }
            sb.append(p.id());
        }
        return sb.toString();
    }
}
