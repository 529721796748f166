package io.zkgate.schema;

import static java.util.Objects.requireNonNull;

import java.util.regex.Pattern;

/**
 * The znode layout as code: the one place that builds paths.
 *
 * <pre>
 * {zkgateRoot}/routes/&lt;routeId&gt;       persistent   Route JSON
 * {zkgateRoot}/scripts/&lt;name&gt;         persistent   Lua source
 * {zkgateRoot}/gateways/&lt;gatewayId&gt;   ephemeral    gateway status JSON
 * {zkgateRoot}/credentials/&lt;set&gt;/&lt;name&gt;  persistent   one hashed API key or basic-auth password (JSON)
 * {zkgateRoot}/jwks/&lt;name&gt;            persistent   a pinned JWKS (JSON Web Key Set) for JWT routes
 * {servicesRoot}/&lt;service&gt;/&lt;id&gt;      ephemeral    curator-x-discovery ServiceInstance JSON
 * </pre>
 *
 * @param zkgateRoot   absolute path of zkgate's own tree, default {@code /zkgate}
 * @param servicesRoot absolute path of the curator-x-discovery base path, default {@code /services}
 */
public record ZnodeLayout(String zkgateRoot, String servicesRoot) {
    public static final String DEFAULT_ZKGATE_ROOT = "/zkgate";
    public static final String DEFAULT_SERVICES_ROOT = "/services";

    /** Names of routes, scripts, services, instances and gateways: one znode path segment. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}");
    private static final Pattern ROOT = Pattern.compile("(/[A-Za-z0-9._:-]+)+");

    public ZnodeLayout {
        requireNonNull(zkgateRoot, "zkgateRoot");
        requireNonNull(servicesRoot, "servicesRoot");
        checkRoot("zkgateRoot", zkgateRoot);
        checkRoot("servicesRoot", servicesRoot);
    }

    public static ZnodeLayout defaults() {
        return new ZnodeLayout(DEFAULT_ZKGATE_ROOT, DEFAULT_SERVICES_ROOT);
    }

    /** Whether {@code name} can be a route id, script, service, instance or gateway name. */
    public static boolean isValidName(String name) {
        return name != null && NAME.matcher(name).matches();
    }

    /** Why {@code name} is not a valid single-segment name, in the project's message style. */
    public static String nameRule() {
        return "expected: 1-128 of letters, digits, '.', '_', ':', '-', starting with a letter or digit";
    }

    public String routesPath() {
        return zkgateRoot + "/routes";
    }

    public String routePath(String routeId) {
        return routesPath() + "/" + checkName("routeId", routeId);
    }

    public String scriptsPath() {
        return zkgateRoot + "/scripts";
    }

    public String scriptPath(String name) {
        return scriptsPath() + "/" + checkName("script", name);
    }

    public String gatewaysPath() {
        return zkgateRoot + "/gateways";
    }

    public String gatewayPath(String gatewayId) {
        return gatewaysPath() + "/" + checkName("gatewayId", gatewayId);
    }

    public String credentialsPath() {
        return zkgateRoot + "/credentials";
    }

    public String credentialSetPath(String set) {
        return credentialsPath() + "/" + checkName("credentials", set);
    }

    public String credentialPath(String set, String name) {
        return credentialSetPath(set) + "/" + checkName("name", name);
    }

    public String jwksPath() {
        return zkgateRoot + "/jwks";
    }

    public String jwksPath(String name) {
        return jwksPath() + "/" + checkName("jwksZnode", name);
    }

    public String servicesPath() {
        return servicesRoot;
    }

    public String servicePath(String service) {
        return servicesRoot + "/" + checkName("service", service);
    }

    public String instancePath(String service, String instanceId) {
        return servicePath(service) + "/" + checkName("instanceId", instanceId);
    }

    /** The direct child name of {@code parent} that {@code path} names, or null if it is not a direct child. */
    public static String childName(String parent, String path) {
        if (path.length() <= parent.length() + 1 || !path.startsWith(parent) || path.charAt(parent.length()) != '/') {
            return null;
        }
        String rest = path.substring(parent.length() + 1);
        return rest.indexOf('/') >= 0 ? null : rest;
    }

    /** The {@code (service, instanceId)} an instance znode path names, or null for any other path. */
    public InstanceRef instanceRef(String path) {
        if (!path.startsWith(servicesRoot + "/")) {
            return null;
        }
        String rest = path.substring(servicesRoot.length() + 1);
        int slash = rest.indexOf('/');
        if (slash <= 0 || slash == rest.length() - 1 || rest.indexOf('/', slash + 1) >= 0) {
            return null;
        }
        return new InstanceRef(rest.substring(0, slash), rest.substring(slash + 1));
    }

    /** A service instance znode named by its service and id. */
    public record InstanceRef(String service, String instanceId) {}

    private static String checkName(String what, String name) {
        if (!isValidName(name)) {
            throw new IllegalArgumentException(what + ": '" + name + "' (" + nameRule() + ")");
        }
        return name;
    }

    private static void checkRoot(String what, String root) {
        if (!ROOT.matcher(root).matches()) {
            throw new IllegalArgumentException(
                    what + ": '" + root + "' (expected: an absolute znode path such as /zkgate, no trailing '/')");
        }
    }
}
