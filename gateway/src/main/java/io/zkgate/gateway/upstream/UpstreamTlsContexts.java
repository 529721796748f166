package io.zkgate.gateway.upstream;

import io.zkgate.gateway.tls.FileReloads;
import io.zkgate.gateway.tls.PemFiles;
import io.zkgate.schema.Route;
import java.io.IOException;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SNIHostName;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * Builds Jetty's client {@link SslContextFactory} for a route's {@code upstream.tls}: the CAs it trusts (the JVM's
 * by default), host-name verification (on unless {@code verify} is false), the SNI name, and the client certificate
 * for mutual TLS. A started context re-reads its CA, client certificate and key files the way the TLS listener does
 * ({@link FileReloads}): cert-manager rotates them on disk without touching the route's znode, so each gateway's
 * reload schedule calls {@link #reloadChanged} and a context whose files changed and load cleanly is
 * {@link SslContextFactory#reload reloaded} for new connections (pooled ones keep theirs); files that do not load are
 * logged once and the last good material keeps serving. Thread-safe: the started contexts are a concurrent set;
 * each context's reload is synchronized.
 */
public final class UpstreamTlsContexts {
    private static final String STORE_PASSWORD = "zkgate";
    /** Contexts started in this JVM (by either engine) whose files are re-read; a context leaves when stopped. */
    private static final Set<Reloading> IN_USE = ConcurrentHashMap.newKeySet();

    private UpstreamTlsContexts() {}

    /**
     * A new, not started, client context for {@code tls}; once started it follows changes of its files.
     *
     * @throws IOException naming the field ({@code upstream.tls.ca} ...) and the file when one cannot be used
     */
    public static SslContextFactory.Client newClientContext(Route.Tls tls) throws IOException {
        Reloading context = new Reloading(tls);
        if (!tls.verifies()) {
            context.setTrustAll(true);
            context.setEndpointIdentificationAlgorithm(null);
        } else {
            context.setEndpointIdentificationAlgorithm("HTTPS");
        }
        if (tls.serverName() != null) {
            // The JDK checks the certificate against the SNI name when one is sent, so this also moves verification.
            SNIHostName name = new SNIHostName(tls.serverName());
            context.setSNIProvider((engine, serverNames) -> List.of(name));
        }
        Material.load(tls).applyTo(context);
        return context;
    }

    /** Checks that {@code tls}'s files can be used, without keeping anything. */
    public static void check(Route.Tls tls) throws IOException {
        Material.load(tls);
    }

    /** Reloads every started context whose files changed on disk; run by each gateway's reload schedule. */
    public static void reloadChanged() {
        for (Reloading context : IN_USE) {
            context.files.check();
        }
    }

    /** The CA and client key stores read from a route's files. */
    private record Material(KeyStore trust, KeyStore keys) {
        static Material load(Route.Tls tls) throws IOException {
            KeyStore trust = tls.verifies() && tls.ca() != null
                    ? field("upstream.tls.ca", () -> PemFiles.trustStore(Path.of(tls.ca()))) : null;
            KeyStore keys = tls.clientCertificate() != null && tls.clientKey() != null
                    ? field("upstream.tls.clientCertificate", () -> PemFiles.keyStore(Path.of(tls.clientCertificate()),
                            Path.of(tls.clientKey()), STORE_PASSWORD.toCharArray()))
                    : null;
            return new Material(trust, keys);
        }

        void applyTo(SslContextFactory context) {
            if (trust != null) {
                context.setTrustStore(trust);
            }
            if (keys != null) {
                context.setKeyStore(keys);
                context.setKeyStorePassword(STORE_PASSWORD);
                context.setKeyManagerPassword(STORE_PASSWORD);
            }
        }
    }

    /** A client context that joins {@link #IN_USE} while it runs. */
    private static final class Reloading extends SslContextFactory.Client {
        private final FileReloads.Watched files;

        Reloading(Route.Tls tls) {
            List<Path> paths = new ArrayList<>();
            for (String file : new String[] {tls.verifies() ? tls.ca() : null, tls.clientCertificate(),
                    tls.clientKey()}) {
                if (file != null) {
                    paths.add(Path.of(file));
                }
            }
            files = new FileReloads.Watched("upstream TLS files " + paths, paths, () -> {
                Material next = Material.load(tls);
                reload(context -> next.applyTo(context));
                return paths.toString();
            });
        }

        @Override
        protected void doStart() throws Exception {
            super.doStart();
            IN_USE.add(this);
        }

        @Override
        protected void doStop() throws Exception {
            IN_USE.remove(this);
            super.doStop();
        }
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
