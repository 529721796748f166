package io.zkgate.gateway.support;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A test certificate authority made with the JDK's own keytool (no openssl needed): issues server certificates
 * signed by it, written as PEM files the way cert-manager writes them (certificate then CA chain; unencrypted
 * PKCS#8 key), and gives clients an SSLContext that trusts only it. Not thread-safe: one test at a time.
 */
public final class TestCertificates {
    private static final String PASSWORD = "changeit";
    private final Path dir;
    private final Path ca;
    private final X509Certificate caCertificate;
    private final AtomicInteger issued = new AtomicInteger();

    private TestCertificates(Path dir) throws Exception {
        this.dir = dir;
        this.ca = dir.resolve("ca.p12");
        keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-dname",
                "CN=zkgate test CA", "-ext", "bc:c", "-validity", "3650", "-keystore", ca.toString(), "-storetype",
                "PKCS12", "-storepass", PASSWORD);
        KeyStore store = load(ca);
        this.caCertificate = (X509Certificate) store.getCertificate("ca");
    }

    /** A new CA whose files live in {@code dir}. */
    public static TestCertificates in(Path dir) throws Exception {
        return new TestCertificates(dir);
    }

    /**
     * A server certificate and its key, signed by this CA.
     *
     * @param keyAlgorithm {@code RSA} or {@code EC}
     * @param startDate    keytool's {@code -startdate} (e.g. {@code -400d}), or null for now
     * @param validityDays days it is valid from its start
     */
    public Issued issue(String cn, String keyAlgorithm, String startDate, int validityDays) throws Exception {
        int n = issued.incrementAndGet();
        Path keys = dir.resolve("leaf-" + n + ".p12");
        Path csr = dir.resolve("leaf-" + n + ".csr");
        Path pem = dir.resolve("leaf-" + n + ".pem");
        List<String> gen = new ArrayList<>(List.of("-genkeypair", "-alias", "leaf", "-dname", "CN=" + cn,
                "-keystore", keys.toString(), "-storetype", "PKCS12", "-storepass", PASSWORD, "-validity", "1"));
        gen.addAll(keyAlgorithm.equals("EC") ? List.of("-keyalg", "EC", "-groupname", "secp256r1")
                : List.of("-keyalg", "RSA", "-keysize", "2048"));
        keytool(gen.toArray(new String[0]));
        keytool("-certreq", "-alias", "leaf", "-keystore", keys.toString(), "-storepass", PASSWORD, "-file",
                csr.toString());
        List<String> sign = new ArrayList<>(List.of("-gencert", "-alias", "ca", "-keystore", ca.toString(),
                "-storepass", PASSWORD, "-infile", csr.toString(), "-outfile", pem.toString(), "-rfc", "-ext",
                "SAN=dns:" + cn, "-validity", Integer.toString(validityDays)));
        if (startDate != null) {
            sign.addAll(List.of("-startdate", startDate));
        }
        keytool(sign.toArray(new String[0]));
        PrivateKey key = (PrivateKey) load(keys).getKey("leaf", PASSWORD.toCharArray());
        String chain = Files.readString(pem).trim() + "\n" + pem(caCertificate.getEncoded(), "CERTIFICATE");
        X509Certificate certificate = (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(pem)));
        return new Issued(chain, pem(key.getEncoded(), "PRIVATE KEY"), key, certificate);
    }

    /** A certificate valid for 30 days from now with an RSA key. */
    public Issued issue(String cn) throws Exception {
        return issue(cn, "RSA", null, 30);
    }

    /** An SSLContext trusting only this CA. */
    public SSLContext clientContext() throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", caCertificate);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        return context;
    }

    /** Writes the CA certificate as PEM (for clients in another process). */
    public Path caPem() throws Exception {
        Path file = dir.resolve("ca.pem");
        Files.writeString(file, pem(caCertificate.getEncoded(), "CERTIFICATE"));
        return file;
    }

    /** One issued certificate: its PEM chain, its PEM key, and both as objects. */
    public record Issued(String chainPem, String keyPem, PrivateKey key, X509Certificate certificate) {
        /** Writes the chain and key to {@code cert} and {@code key}, replacing them (as a renewal does). */
        public void writeTo(Path cert, Path key) throws IOException {
            Files.writeString(cert, chainPem);
            Files.writeString(key, keyPem);
        }
    }

    public static String pem(byte[] der, String type) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der) + "\n-----END " + type + "-----\n";
    }

    private static KeyStore load(Path file) throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(file)) {
            store.load(in, PASSWORD.toCharArray());
        }
        return store;
    }

    private static void keytool(String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("keytool " + String.join(" ", args) + " failed: " + out);
        }
    }
}
