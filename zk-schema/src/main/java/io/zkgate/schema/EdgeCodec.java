package io.zkgate.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The route's edge fields, {@code cors} and {@code ipRules}, read and written for {@link RouteCodec}. Stateless.
 */
final class EdgeCodec {
    private static final Set<String> CORS_FIELDS = Set.of("allowOrigins", "allowMethods", "allowHeaders",
            "exposeHeaders", "allowCredentials", "maxAgeSeconds");
    private static final Set<String> IP_FIELDS = Set.of("allow", "deny");
    /** A serialized origin (scheme, host, optional port, nothing else), or one with a {@code *.} subdomain wildcard. */
    private static final Pattern ORIGIN = Pattern.compile(
            "[a-z][a-z0-9+.-]*://(\\*\\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[0-9]{1,5})?");
    static final int MAX_AGE_SECONDS = 86_400;

    private EdgeCodec() {}

    static Route.Cors cors(FieldReader r, JsonNode tree, Route.Match match) {
        JsonNode node = r.block(tree, "cors", CORS_FIELDS);
        if (node == null) {
            return null;
        }
        Boolean credentials = r.bool(node, "cors.allowCredentials", "allowCredentials");
        boolean withCredentials = Boolean.TRUE.equals(credentials);
        List<String> origins = strings(r, node, "cors.allowOrigins", "allowOrigins", true);
        if (origins != null) {
            if (origins.isEmpty()) {
                r.problem("cors.allowOrigins", "empty (expected: at least one origin, such as https://app.example.com)");
            }
            for (int i = 0; i < origins.size(); i++) {
                String o = origins.get(i);
                String field = "cors.allowOrigins[" + i + "]";
                if (o.equals("*")) {
                    if (origins.size() > 1) {
                        r.problem(field, "'*' beside other origins (expected: '*' alone, or only origins)");
                    }
                    if (withCredentials) {
                        r.problem(field, "'*' with allowCredentials true (expected: the origins by name: the Fetch "
                                + "standard never lets credentials go to any origin)");
                    }
                } else if (!ORIGIN.matcher(o).matches() || !o.equals(o.toLowerCase(Locale.ROOT))) {
                    r.problem(field, "'" + o + "' (expected: an origin in lower case, scheme://host[:port] without "
                            + "path, such as https://app.example.com, or a pattern such as https://*.example.com, "
                            + "or '*')");
                }
            }
        }
        List<String> methods = strings(r, node, "cors.allowMethods", "allowMethods", false);
        if (methods != null) {
            for (int i = 0; i < methods.size(); i++) {
                String m = methods.get(i);
                if (!m.equals("*") && !MatchCodec.TOKEN.matcher(m).matches()) {
                    r.problem("cors.allowMethods[" + i + "]", "'" + m + "' (expected: a method name such as PUT, or "
                            + "'*')");
                } else if (match != null && !m.equals("*") && !match.methods().isEmpty()
                        && !match.methods().contains(m.toUpperCase(Locale.ROOT))) {
                    r.problem("cors.allowMethods[" + i + "]", "'" + m + "' is not among match.methods "
                            + new TreeSet<>(match.methods()) + " (expected: methods the route takes)");
                }
            }
            methods = methods.stream().map(m -> m.toUpperCase(Locale.ROOT)).toList();
        }
        List<String> allowHeaders = headerNames(r, node, "allowHeaders");
        List<String> exposeHeaders = headerNames(r, node, "exposeHeaders");
        if (withCredentials && exposeHeaders != null && exposeHeaders.contains("*")) {
            r.problem("cors.exposeHeaders", "'*' with allowCredentials true (expected: the header names: with "
                    + "credentials a browser reads '*' as a header named '*')");
        }
        Integer maxAge = r.integer(node, "cors.maxAgeSeconds", "maxAgeSeconds", 0, MAX_AGE_SECONDS);
        return origins == null ? null
                : new Route.Cors(origins, methods, allowHeaders, exposeHeaders, credentials, maxAge);
    }

    private static List<String> headerNames(FieldReader r, JsonNode node, String name) {
        List<String> names = strings(r, node, "cors." + name, name, false);
        if (names != null) {
            for (int i = 0; i < names.size(); i++) {
                if (!names.get(i).equals("*") && !MatchCodec.TOKEN.matcher(names.get(i)).matches()) {
                    r.problem("cors." + name + "[" + i + "]", "'" + names.get(i)
                            + "' (expected: a header name such as X-Request-Id, or '*')");
                }
            }
        }
        return names;
    }

    static Route.IpRules ipRules(FieldReader r, JsonNode tree) {
        JsonNode node = r.block(tree, "ipRules", IP_FIELDS);
        if (node == null) {
            return null;
        }
        List<String> allow = cidrs(r, node, "allow");
        List<String> deny = cidrs(r, node, "deny");
        if ((allow == null || allow.isEmpty()) && (deny == null || deny.isEmpty())) {
            r.problem("ipRules", "no rule (expected: a non-empty allow or deny list of CIDRs)");
            return null;
        }
        return new Route.IpRules(allow, deny);
    }

    private static List<String> cidrs(FieldReader r, JsonNode node, String name) {
        List<String> list = strings(r, node, "ipRules." + name, name, false);
        if (list != null) {
            for (int i = 0; i < list.size(); i++) {
                if (Cidr.parse(list.get(i)) == null) {
                    r.problem("ipRules." + name + "[" + i + "]", "'" + list.get(i) + "' (expected: "
                            + Cidr.expected() + ")");
                }
            }
        }
        return list;
    }

    /** An array of non-blank strings, trimmed; see {@link FieldReader#strings}. */
    private static List<String> strings(FieldReader r, JsonNode parent, String field, String name,
            boolean required) {
        List<String> list = r.strings(parent, field, name, required);
        return list == null ? null : list.stream().map(String::trim).toList();
    }

    static void write(ObjectNode root, Route route) {
        Route.Cors cors = route.cors();
        if (cors != null) {
            ObjectNode c = root.putObject("cors");
            FieldWriter.putStrings(c, "allowOrigins", cors.allowOrigins());
            FieldWriter.putStrings(c, "allowMethods", cors.allowMethods());
            FieldWriter.putStrings(c, "allowHeaders", cors.allowHeaders());
            FieldWriter.putStrings(c, "exposeHeaders", cors.exposeHeaders());
            FieldWriter.putIfSet(c, "allowCredentials", cors.allowCredentials());
            FieldWriter.putIfSet(c, "maxAgeSeconds", cors.maxAgeSeconds());
        }
        Route.IpRules ip = route.ipRules();
        if (ip != null) {
            ObjectNode i = root.putObject("ipRules");
            if (!ip.allow().isEmpty()) {
                FieldWriter.putStrings(i, "allow", ip.allow());
            }
            if (!ip.deny().isEmpty()) {
                FieldWriter.putStrings(i, "deny", ip.deny());
            }
        }
    }
}
