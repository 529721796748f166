package io.zkgate.gateway.tls;

import io.zkgate.config.GatewaySettings;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * The front door's certificates, read from disk into one in-memory key store: every {@code --tls-cert}/{@code
 * --tls-key} pair and every key entry of the {@code --tls-keystore}. Each is checked as it is read (files there,
 * key matching certificate, not expired), and any problem is one line naming the file and the reason. Immutable.
 *
 * @param keyStore     the certificates, one key entry each
 * @param certificates what was loaded, for the expiry metric and logs
 */
public record TlsCertificates(KeyStore keyStore, List<Loaded> certificates) {
    /** The in-memory key store's password; it never leaves this process. */
    static final String STORE_PASSWORD = "zkgate";

    /**
     * One certificate served.
     *
     * @param name   its subject's common name (else first DNS name), the metric's {@code certificate} label
     * @param source the file (or key store and alias) it came from
     */
    public record Loaded(String name, String source, X509Certificate certificate) {
        public Instant notAfter() {
            return certificate.getNotAfter().toInstant();
        }
    }

    /** A certificate or key that cannot be served; the message is one line naming the file and the reason. */
    public static final class TlsException extends Exception {
        private static final long serialVersionUID = 1L;

        public TlsException(String message) {
            super(message);
        }
    }

    /** Reads and checks every certificate configured. */
    public static TlsCertificates load(GatewaySettings.Tls tls, Instant now) throws TlsException {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            List<Loaded> loaded = new ArrayList<>();
            for (int i = 0; i < tls.certificates().size(); i++) {
                Path certFile = tls.certificates().get(i);
                Path keyFile = tls.keys().get(i);
                byte[] certBytes = read(certFile, "tls-cert");
                byte[] keyBytes = read(keyFile, "tls-key");
                List<X509Certificate> chain;
                PrivateKey key;
                try {
                    chain = PemFiles.certificates(new String(certBytes, StandardCharsets.US_ASCII));
                } catch (PemFiles.PemException e) {
                    throw new TlsException("tls-cert " + certFile + ": " + e.getMessage());
                }
                try {
                    key = PemFiles.privateKey(new String(keyBytes, StandardCharsets.US_ASCII));
                } catch (PemFiles.PemException e) {
                    throw new TlsException("tls-key " + keyFile + ": " + e.getMessage());
                }
                X509Certificate leaf = chain.get(0);
                if (!PemFiles.matches(key, leaf.getPublicKey())) {
                    throw new TlsException("tls-key " + keyFile + " does not match the certificate in " + certFile
                            + " (" + leaf.getSubjectX500Principal().getName() + ")");
                }
                checkDates(leaf, "tls-cert " + certFile, now);
                store.setKeyEntry("cert-" + i, key, STORE_PASSWORD.toCharArray(), chain.toArray(new Certificate[0]));
                loaded.add(new Loaded(name(leaf), certFile.toString(), leaf));
            }
            if (tls.keystore() != null) {
                byte[] bytes = read(tls.keystore(), "tls-keystore");
                KeyStore file = KeyStore.getInstance("PKCS12");
                char[] password = tls.keystorePassword().toCharArray();
                try {
                    file.load(new ByteArrayInputStream(bytes), password);
                } catch (IOException e) {
                    throw new TlsException("tls-keystore " + tls.keystore() + ": cannot be read as PKCS12 with the "
                            + "password from ZKGATE_TLS_KEYSTORE_PASSWORD: " + e.getMessage());
                }
                int keys = 0;
                for (String alias : Collections.list(file.aliases())) {
                    if (!file.isKeyEntry(alias)) {
                        continue;
                    }
                    Key key = file.getKey(alias, password);
                    Certificate[] chain = file.getCertificateChain(alias);
                    if (!(key instanceof PrivateKey) || chain == null || !(chain[0] instanceof X509Certificate)) {
                        continue;
                    }
                    X509Certificate leaf = (X509Certificate) chain[0];
                    String source = tls.keystore() + " alias " + alias;
                    checkDates(leaf, "tls-keystore " + source, now);
                    store.setKeyEntry("keystore-" + alias, key, STORE_PASSWORD.toCharArray(), chain);
                    loaded.add(new Loaded(name(leaf), source, leaf));
                    keys++;
                }
                if (keys == 0) {
                    throw new TlsException("tls-keystore " + tls.keystore() + ": no private key with its "
                            + "certificate in it");
                }
            }
            return new TlsCertificates(store, List.copyOf(loaded));
        } catch (GeneralSecurityException | IOException e) {
            throw new TlsException("TLS certificates cannot be loaded: " + e);
        }
    }

    /** Every file the certificates are read from, for the reload to hash. */
    static List<Path> files(GatewaySettings.Tls tls) {
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < tls.certificates().size(); i++) {
            files.add(tls.certificates().get(i));
            files.add(tls.keys().get(i));
        }
        if (tls.keystore() != null) {
            files.add(tls.keystore());
        }
        return files;
    }

    private static byte[] read(Path file, String flag) throws TlsException {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new TlsException(flag + " " + file + ": no such file");
        } catch (IOException e) {
            throw new TlsException(flag + " " + file + ": cannot be read: " + e.getMessage());
        }
    }

    private static void checkDates(X509Certificate leaf, String what, Instant now) throws TlsException {
        Instant notAfter = leaf.getNotAfter().toInstant();
        if (notAfter.isBefore(now)) {
            throw new TlsException(what + ": the certificate " + name(leaf) + " expired on " + notAfter
                    + " (renew it, then start again)");
        }
    }

    /** The subject's common name, else its first DNS name, else the whole subject. */
    static String name(X509Certificate certificate) {
        String subject = certificate.getSubjectX500Principal().getName();
        try {
            for (Rdn rdn : new LdapName(subject).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    return String.valueOf(rdn.getValue());
                }
            }
        } catch (javax.naming.InvalidNameException ignored) {
            // fall through to the alternative names
        }
        try {
            Collection<List<?>> names = certificate.getSubjectAlternativeNames();
            if (names != null) {
                for (List<?> n : names) {
                    if (Integer.valueOf(2).equals(n.get(0))) {
                        return String.valueOf(n.get(1));
                    }
                }
            }
        } catch (java.security.cert.CertificateParsingException ignored) {
            // the subject, then
        }
        return subject;
    }
}
