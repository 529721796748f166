package io.zkgate.gateway.support;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A test certificate authority: issues server certificates signed by it, in process (BouncyCastle's certificate
 * builder over JDK keys), written as PEM files the way cert-manager writes them (certificate then CA chain;
 * unencrypted PKCS#8 key), and gives clients an SSLContext that trusts only it. Not thread-safe: one test at a time.
 */
public final class TestCertificates {
    private final Path dir;
    private final KeyPair caKeys;
    private final X509Certificate caCertificate;
    private final AtomicLong serial = new AtomicLong(System.currentTimeMillis());

    private TestCertificates(Path dir) throws Exception {
        this.dir = dir;
        this.caKeys = keyPair("EC");
        X500Name name = new X500Name("CN=zkgate test CA");
        Instant now = Instant.now();
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, nextSerial(),
                Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(Duration.ofDays(3650))), name,
                caKeys.getPublic());
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        builder.addExtension(Extension.keyUsage, true,
                new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature));
        this.caCertificate = sign(builder);
    }

    /** A new CA whose files ({@link #caPem()}) go to {@code dir}. */
    public static TestCertificates in(Path dir) throws Exception {
        return new TestCertificates(dir);
    }

    /**
     * A server certificate and its key, signed by this CA.
     *
     * @param keyAlgorithm {@code RSA} or {@code EC}
     * @param startDate    when its validity starts relative to now, in keytool's form ({@code -400d}), or null: now
     * @param validityDays days it is valid from its start
     */
    public Issued issue(String cn, String keyAlgorithm, String startDate, int validityDays) throws Exception {
        KeyPair keys = keyPair(keyAlgorithm);
        Instant notBefore = startDate == null ? Instant.now().minus(Duration.ofMinutes(5))
                : Instant.now().plus(Duration.ofDays(Long.parseLong(startDate.replace("d", ""))));
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(caCertificate, nextSerial(),
                Date.from(notBefore), Date.from(notBefore.plus(Duration.ofDays(validityDays))),
                new X500Name("CN=" + cn), keys.getPublic());
        builder.addExtension(Extension.subjectAlternativeName, false,
                new GeneralNames(new GeneralName(GeneralName.dNSName, cn)));
        X509Certificate certificate = sign(builder);
        String chain = pem(certificate.getEncoded(), "CERTIFICATE") + pem(caCertificate.getEncoded(), "CERTIFICATE");
        return new Issued(chain, pem(keys.getPrivate().getEncoded(), "PRIVATE KEY"), keys.getPrivate(), certificate);
    }

    private X509Certificate sign(X509v3CertificateBuilder builder) throws Exception {
        ContentSigner signer = new JcaContentSignerBuilder("SHA256withECDSA").build(caKeys.getPrivate());
        return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
    }

    private BigInteger nextSerial() {
        return BigInteger.valueOf(serial.incrementAndGet());
    }

    private static KeyPair keyPair(String algorithm) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance(algorithm);
        if (algorithm.equals("EC")) {
            generator.initialize(new ECGenParameterSpec("secp256r1"));
        } else {
            generator.initialize(2048);
        }
        return generator.generateKeyPair();
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
}
