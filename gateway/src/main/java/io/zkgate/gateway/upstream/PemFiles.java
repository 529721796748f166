package io.zkgate.gateway.upstream;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Reads PEM certificates and PKCS#8 keys (what cert-manager, Let's Encrypt and {@code openssl} write) into key
 * stores, with messages that name the file and what was wrong. Stateless and thread-safe.
 */
public final class PemFiles {
    private static final String KEY_BEGIN = "-----BEGIN PRIVATE KEY-----";
    private static final String KEY_END = "-----END PRIVATE KEY-----";

    private PemFiles() {}

    /** The certificates in {@code file}, in order; at least one. */
    public static List<Certificate> certificates(Path file) throws IOException {
        byte[] bytes = read(file);
        try {
            List<Certificate> certs = new ArrayList<>(CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(bytes)));
            if (certs.isEmpty()) {
                throw new IOException(file + ": no certificate in it (expected: PEM 'BEGIN CERTIFICATE' blocks)");
            }
            return certs;
        } catch (GeneralSecurityException e) {
            throw new IOException(file + ": not a PEM certificate file: " + e.getMessage(), e);
        }
    }

    /** The private key in {@code file}, an unencrypted PKCS#8 PEM key (RSA, EC or EdDSA). */
    public static PrivateKey privateKey(Path file) throws IOException {
        String text = new String(read(file), StandardCharsets.US_ASCII);
        int begin = text.indexOf(KEY_BEGIN);
        int end = text.indexOf(KEY_END);
        if (begin < 0 || end < begin) {
            throw new IOException(file + ": no unencrypted PKCS#8 key in it (expected: 'BEGIN PRIVATE KEY'; convert "
                    + "with openssl pkcs8 -topk8 -nocrypt)");
        }
        byte[] der;
        try {
            der = Base64.getMimeDecoder().decode(text.substring(begin + KEY_BEGIN.length(), end));
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": the key is not valid base64", e);
        }
        for (String algorithm : new String[] {"RSA", "EC", "Ed25519", "Ed448"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException notThisOne) {
                // try the next algorithm
            }
        }
        throw new IOException(file + ": the key is not an RSA, EC or EdDSA PKCS#8 key");
    }

    /** A key store trusting each certificate of {@code file}. */
    public static KeyStore trustStore(Path file) throws IOException {
        try {
            KeyStore store = emptyStore();
            int i = 0;
            for (Certificate c : certificates(file)) {
                store.setCertificateEntry("ca-" + i++, c);
            }
            return store;
        } catch (GeneralSecurityException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    /** A key store holding the key of {@code keyFile} for the chain of {@code certFile} under alias "key". */
    public static KeyStore keyStore(Path certFile, Path keyFile, char[] password) throws IOException {
        List<Certificate> chain = certificates(certFile);
        PrivateKey key = privateKey(keyFile);
        if (!chain.get(0).getPublicKey().getAlgorithm().equals(key.getAlgorithm())) {
            throw new IOException(keyFile + ": a " + key.getAlgorithm() + " key, but " + certFile + " holds a "
                    + chain.get(0).getPublicKey().getAlgorithm()
                    + " certificate (expected: the key of the certificate)");
        }
        try {
            KeyStore store = emptyStore();
            store.setKeyEntry("key", key, password, chain.toArray(new Certificate[0]));
            return store;
        } catch (GeneralSecurityException e) {
            throw new IOException(keyFile + ": " + e.getMessage(), e);
        }
    }

    private static KeyStore emptyStore() throws GeneralSecurityException, IOException {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        return store;
    }

    private static byte[] read(Path file) throws IOException {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IOException(file + ": no such file", e);
        } catch (IOException e) {
            throw new IOException(file + ": cannot be read: " + e.getMessage(), e);
        }
    }
}
