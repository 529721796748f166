package io.zkgate.gateway.upstream;

import io.zkgate.gateway.tls.PemFiles;
import io.zkgate.schema.Route;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.net.ssl.SNIHostName;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * Builds Jetty's client {@link SslContextFactory} for a route's {@code upstream.tls}: the CAs it trusts (the JVM's
 * by default), host-name verification (on unless {@code verify} is false), the SNI name, and the client certificate
 * for mutual TLS. Stateless and thread-safe.
 */
public final class UpstreamTlsContexts {
    private UpstreamTlsContexts() {}

    /**
     * A new, not started, client context for {@code tls}.
     *
     * @throws IOException naming the field ({@code upstream.tls.ca} ...) and the file when one cannot be used
     */
    public static SslContextFactory.Client newClientContext(Route.Tls tls) throws IOException {
        SslContextFactory.Client context = new SslContextFactory.Client();
        if (!tls.verifies()) {
            context.setTrustAll(true);
            context.setEndpointIdentificationAlgorithm(null);
        } else {
            context.setEndpointIdentificationAlgorithm("HTTPS");
            if (tls.ca() != null) {
                context.setTrustStore(field("upstream.tls.ca", () -> PemFiles.trustStore(Path.of(tls.ca()))));
            }
        }
        if (tls.serverName() != null) {
            // The JDK checks the certificate against the SNI name when one is sent, so this also moves verification.
            SNIHostName name = new SNIHostName(tls.serverName());
            context.setSNIProvider((engine, serverNames) -> List.of(name));
        }
        if (tls.clientCertificate() != null && tls.clientKey() != null) {
            char[] password = "zkgate".toCharArray();
            context.setKeyStore(field("upstream.tls.clientCertificate", () -> PemFiles.keyStore(
                    Path.of(tls.clientCertificate()), Path.of(tls.clientKey()), password)));
            context.setKeyStorePassword("zkgate");
            context.setKeyManagerPassword("zkgate");
        }
        return context;
    }

    /** Checks that {@code tls}'s files can be used, without keeping anything. */
    public static void check(Route.Tls tls) throws IOException {
        newClientContext(tls);
    }

    private interface Load<T> {
        T load() throws IOException;
    }

    private static <T> T field(String field, Load<T> load) throws IOException {
        try {
            return load.load();
        } catch (IOException e) {
            throw new IOException(field + ": " + e.getMessage(), e);
        }
    }
}
