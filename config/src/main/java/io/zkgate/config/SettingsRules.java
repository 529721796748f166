package io.zkgate.config;

/**
 * The gateway's rules across settings (an admin API off loopback needs a token, a TLS listener needs its
 * certificates, span export needs request ids, ...); the loader has checked each setting alone before. Stateless.
 */
final class SettingsRules {
    private SettingsRules() {}

    /** Rules across settings; the loader checks each one alone. */
    static GatewaySettings checked(GatewaySettings g) throws SettingsException {
        if (!isLoopback(g.adminHost()) && g.adminToken().isEmpty()) {
            throw new SettingsException(SettingsException.USAGE, "admin-host: '" + g.adminHost()
                    + "' is not a loopback address, so the admin API needs a token: set --admin-token "
                    + "(or ZKGATE_ADMIN_TOKEN)");
        }
        if (!g.gatewayId().isEmpty() && !g.gatewayId().matches("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")) {
            throw new SettingsException(SettingsException.USAGE, "gateway-id: '" + g.gatewayId()
                    + "' (expected: 1-128 of letters, digits, '.', '_', ':', '-')");
        }
        if (!g.zkAuth().isEmpty() && g.zkAuth().indexOf(':') <= 0) {
            throw new SettingsException(SettingsException.USAGE, "zk-auth: expected user:password");
        }
        if (g.minThreads() > g.threads()) {
            throw new SettingsException(SettingsException.USAGE, "min-threads: " + g.minThreads()
                    + " is more than threads (" + g.threads() + ")");
        }
        if (g.reservedThreads() >= g.threads()) {
            throw new SettingsException(SettingsException.USAGE, "reserved-threads: " + g.reservedThreads()
                    + " leaves no thread to work: it must be below threads (" + g.threads() + ")");
        }
        checkTls(g.tls(), g.port());
        checkOtel(g.otel(), g.requestIds());
        return g;
    }

    private static void checkTls(GatewaySettings.Tls tls, int port) throws SettingsException {
        if (tls.certificates().size() != tls.keys().size()) {
            throw new SettingsException(SettingsException.USAGE, "tls-cert, tls-key: " + tls.certificates().size()
                    + " certificate(s) but " + tls.keys().size() + " key(s) (expected: one --tls-key per --tls-cert)");
        }
        boolean material = !tls.certificates().isEmpty() || tls.keystore() != null;
        if (tls.enabled() && !material) {
            throw new SettingsException(SettingsException.USAGE,
                    "tls-port: a TLS listener needs --tls-cert and --tls-key, or --tls-keystore");
        }
        if (!tls.enabled() && (material || tls.redirect())) {
            throw new SettingsException(SettingsException.USAGE, (tls.redirect() ? "tls-redirect" : "tls-cert")
                    + ": no TLS listener: set --tls-port");
        }
        if (tls.enabled() && tls.port() != 0 && tls.port() == port) {
            throw new SettingsException(SettingsException.USAGE, "tls-port: " + tls.port()
                    + " is also --port (expected: another port)");
        }
    }

    private static void checkOtel(GatewaySettings.Otel otel, boolean requestIds) throws SettingsException {
        if (otel.serviceName().isBlank()) {
            throw new SettingsException(SettingsException.USAGE, "otel-service-name: empty (expected: a name)");
        }
        if (otel.enabled() && !requestIds) {
            throw new SettingsException(SettingsException.USAGE, "otel-endpoint: a span is the traceparent hop that "
                    + "request ids make, so span export needs --request-ids (it is off)");
        }
    }

    static boolean isLoopback(String host) {
        return host.equals("localhost") || host.startsWith("127.") || host.equals("::1") || host.equals("[::1]");
    }
}
