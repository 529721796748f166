package io.zkgate.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Set;

/**
 * The route's {@code upstream} block, read and written for {@link RouteCodec}: the protocol spoken to backends and
 * the TLS to them. Only the form of the TLS files is checked here; whether the gateway's host can read and use them
 * is the gateway's part. Stateless.
 */
final class UpstreamCodec {
    private static final Set<String> UPSTREAM_FIELDS = Set.of("protocol", "tls");
    private static final Set<String> TLS_FIELDS = Set.of("verify", "ca", "serverName", "clientCertificate", "clientKey");

    private UpstreamCodec() {}

    static Route.Upstream read(FieldReader r, JsonNode tree) {
        JsonNode node = r.block(tree, "upstream", UPSTREAM_FIELDS);
        if (node == null) {
            return null;
        }
        Route.Upstream.Protocol protocol = null;
        String protocolName = r.string(node, "upstream.protocol", "protocol", false);
        if (protocolName != null) {
            protocol = Route.Upstream.Protocol.fromWireName(protocolName);
            if (protocol == null) {
                r.problem("upstream.protocol", "unknown protocol '" + protocolName
                        + "' (expected one of: http/1.1, h2c, h2)");
            }
        }
        JsonNode tlsNode = r.block(node, "upstream.tls", "tls", TLS_FIELDS);
        Route.Tls tls = tlsNode == null ? null : tls(r, tlsNode);
        if (protocol == Route.Upstream.Protocol.H2C && tlsNode != null) {
            r.problem("upstream.protocol", "'h2c' is HTTP/2 in plain text, but upstream.tls is set "
                    + "(expected: 'h2' for HTTP/2 over TLS)");
        }
        return new Route.Upstream(protocol, tls);
    }

    private static Route.Tls tls(FieldReader r, JsonNode tlsNode) {
        Boolean verify = r.bool(tlsNode, "upstream.tls.verify", "verify");
        String ca = file(r, tlsNode, "ca");
        String serverName = r.string(tlsNode, "upstream.tls.serverName", "serverName", false);
        if (serverName != null && !MatchCodec.HOST.matcher(serverName).matches()) {
            r.problem("upstream.tls.serverName", "'" + serverName
                    + "' (expected: a host name without port, such as orders.internal)");
        }
        String cert = file(r, tlsNode, "clientCertificate");
        String key = file(r, tlsNode, "clientKey");
        if ((cert == null) != (key == null) && tlsNode.hasNonNull(cert == null ? "clientKey" : "clientCertificate")) {
            r.problem(cert == null ? "upstream.tls.clientCertificate" : "upstream.tls.clientKey",
                    "missing (expected: clientCertificate and clientKey together, for mutual TLS)");
        }
        if (Boolean.FALSE.equals(verify) && (ca != null || serverName != null)) {
            r.problem("upstream.tls.verify", "false, but " + (ca != null ? "ca" : "serverName")
                    + " is set for verifying (expected: true, or leave out ca and serverName)");
        }
        return new Route.Tls(verify, ca, serverName, cert, key);
    }

    /** A PEM file path of upstream.tls: absolute, since the gateway's working directory is nobody's business. */
    private static String file(FieldReader r, JsonNode tlsNode, String name) {
        String field = "upstream.tls." + name;
        String path = r.string(tlsNode, field, name, false);
        if (path != null && !path.startsWith("/")) {
            r.problem(field, "'" + path + "' (expected: an absolute path to a PEM file on the gateway's host)");
            return null;
        }
        return path;
    }

    static void write(ObjectNode root, Route.Upstream upstream) {
        if (upstream == null) {
            return;
        }
        ObjectNode u = root.putObject("upstream");
        if (upstream.protocol() != null) {
            u.put("protocol", upstream.protocol().wireName());
        }
        Route.Tls tls = upstream.tls();
        if (tls != null) {
            ObjectNode t = u.putObject("tls");
            FieldWriter.putIfSet(t, "verify", tls.verify());
            FieldWriter.putIfSet(t, "ca", tls.ca());
            FieldWriter.putIfSet(t, "serverName", tls.serverName());
            FieldWriter.putIfSet(t, "clientCertificate", tls.clientCertificate());
            FieldWriter.putIfSet(t, "clientKey", tls.clientKey());
        }
    }
}
