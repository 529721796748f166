package io.zkgate.gateway.metrics;

import java.util.ArrayList;
import java.util.List;

/**
 * Dropwizard metric names that carry Prometheus labels: {@code base{key=value,key=value}}, values escaped, so one
 * registry holds labelled series without mangling route ids into names. Stateless.
 */
public final class MetricNames {
    private MetricNames() {}

    /** {@code base{k1=v1,k2=v2}} from alternating label keys and values. */
    public static String tagged(String base, String... keysAndValues) {
        if (keysAndValues.length % 2 != 0) {
            throw new IllegalArgumentException("keysAndValues: odd length " + keysAndValues.length);
        }
        if (keysAndValues.length == 0) {
            return base;
        }
        StringBuilder sb = new StringBuilder(base).append('{');
        for (int i = 0; i < keysAndValues.length; i += 2) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append(keysAndValues[i]).append('=');
            String v = keysAndValues[i + 1];
            for (int j = 0; j < v.length(); j++) {
                char c = v.charAt(j);
                if (c == '\\' || c == ',' || c == '}' || c == '=') {
                    sb.append('\\');
                }
                sb.append(c);
            }
        }
        return sb.append('}').toString();
    }

    /** The base name of a tagged name. */
    public static String base(String name) {
        int brace = name.indexOf('{');
        return brace < 0 ? name : name.substring(0, brace);
    }

    /** Label keys and values, alternating, of a tagged name. */
    public static List<String> labels(String name) {
        List<String> out = new ArrayList<>();
        int brace = name.indexOf('{');
        if (brace < 0 || !name.endsWith("}")) {
            return out;
        }
        StringBuilder cur = new StringBuilder();
        for (int i = brace + 1; i < name.length() - 1; i++) {
            char c = name.charAt(i);
            if (c == '\\' && i + 1 < name.length() - 1) {
                cur.append(name.charAt(++i));
            } else if ((c == '=' && out.size() % 2 == 0) || c == ',') {
                out.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        out.add(cur.toString());
        return out;
    }
}
