package io.zkgate.gateway.tls;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.PSSParameterSpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads PEM as cert-manager, Let's Encrypt and openssl write it: certificate chains, and private keys in PKCS#8
 * ({@code PRIVATE KEY}), PKCS#1 RSA ({@code RSA PRIVATE KEY}) and SEC1 EC ({@code EC PRIVATE KEY}) form; the last two
 * are wrapped into PKCS#8 here so the JDK alone can read them. The TLS listener reads text it has already read;
 * routes' {@code upstream.tls} files are read into key stores with messages that name the
 * file. Stateless and thread-safe.
 */
public final class PemFiles {
    private static final Pattern BLOCK = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----([^-]*)-----END \\1-----", Pattern.DOTALL);
    /** rsaEncryption, 1.2.840.113549.1.1.1 */
    private static final byte[] RSA_OID = {0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01,
            0x01, 0x01};
    /** id-ecPublicKey, 1.2.840.10045.2.1 */
    private static final byte[] EC_OID = {0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02, 0x01};
    private static final byte[] DER_NULL = {0x05, 0x00};

    private PemFiles() {}

    /** A file that is not what it should be; the message says why, without the file's name. */
    static final class PemException extends Exception {
        private static final long serialVersionUID = 1L;

        PemException(String message) {
            super(message);
        }
    }

    /** The certificates in {@code pem}, in order (the server's own first, then its chain). */
    static List<X509Certificate> certificates(String pem) throws PemException {
        List<X509Certificate> out = new ArrayList<>();
        try {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            Matcher m = BLOCK.matcher(pem);
            while (m.find()) {
                if (m.group(1).equals("CERTIFICATE")) {
                    out.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(der(m.group(2)))));
                }
            }
        } catch (CertificateException | IllegalArgumentException e) {
            throw new PemException("not a readable PEM certificate: " + e.getMessage());
        }
        if (out.isEmpty()) {
            throw new PemException("no PEM certificate in it (expected -----BEGIN CERTIFICATE-----)");
        }
        return out;
    }

    /** The first private key in {@code pem}. */
    static PrivateKey privateKey(String pem) throws PemException {
        Matcher m = BLOCK.matcher(pem);
        while (m.find()) {
            String type = m.group(1);
            try {
                switch (type) {
                    case "PRIVATE KEY":
                        return pkcs8(der(m.group(2)));
                    case "RSA PRIVATE KEY":
                        return pkcs8(wrap(der(m.group(2)), sequence(RSA_OID, DER_NULL)));
                    case "EC PRIVATE KEY": {
                        byte[] sec1 = der(m.group(2));
                        return pkcs8(wrap(sec1, sequence(EC_OID, curveOid(sec1))));
                    }
                    case "ENCRYPTED PRIVATE KEY":
                        throw new PemException("the private key is encrypted (expected an unencrypted key, as "
                                + "cert-manager and Let's Encrypt write them)");
                    default:
                        break;
                }
            } catch (GeneralSecurityException | IllegalArgumentException e) {
                throw new PemException("not a readable " + type + ": " + e.getMessage());
            }
            if (m.group(2).contains("Proc-Type: 4,ENCRYPTED")) {
                throw new PemException("the private key is encrypted (expected an unencrypted key)");
            }
        }
        throw new PemException("no private key in it (expected PEM PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)");
    }

    /** A key store trusting each certificate of {@code file}. */
    public static KeyStore trustStore(Path file) throws IOException {
        try {
            KeyStore store = emptyStore();
            int i = 0;
            for (X509Certificate c : certificates(file)) {
                store.setCertificateEntry("ca-" + i++, c);
            }
            return store;
        } catch (GeneralSecurityException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    /** A key store holding the key of {@code keyFile} for the chain of {@code certFile} under alias "key". */
    public static KeyStore keyStore(Path certFile, Path keyFile, char[] password) throws IOException {
        List<X509Certificate> chain = certificates(certFile);
        PrivateKey key;
        try {
            key = privateKey(read(keyFile));
        } catch (PemException e) {
            throw new IOException(keyFile + ": " + e.getMessage(), e);
        }
        String certAlgorithm = chain.get(0).getPublicKey().getAlgorithm();
        if (!certAlgorithm.equals(key.getAlgorithm())) {
            throw new IOException(keyFile + ": a " + key.getAlgorithm() + " key, but " + certFile + " holds a "
                    + certAlgorithm + " certificate (expected: the key of the certificate)");
        }
        if (!matches(key, chain.get(0).getPublicKey())) {
            throw new IOException(keyFile + ": does not match the certificate in " + certFile + " ("
                    + chain.get(0).getSubjectX500Principal().getName() + ")");
        }
        try {
            KeyStore store = emptyStore();
            store.setKeyEntry("key", key, password, chain.toArray(new Certificate[0]));
            return store;
        } catch (GeneralSecurityException e) {
            throw new IOException(keyFile + ": " + e.getMessage(), e);
        }
    }

    private static List<X509Certificate> certificates(Path file) throws IOException {
        try {
            return certificates(read(file));
        } catch (PemException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    private static String read(Path file) throws IOException {
        try {
            return new String(Files.readAllBytes(file), StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            throw new IOException(file + ": no such file", e);
        } catch (IOException e) {
            throw new IOException(file + ": cannot be read: " + e.getMessage(), e);
        }
    }

    private static KeyStore emptyStore() throws GeneralSecurityException, IOException {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        return store;
    }

    private static byte[] der(String base64) {
        return Base64.getMimeDecoder().decode(base64.trim().getBytes(StandardCharsets.US_ASCII));
    }

    private static PrivateKey pkcs8(byte[] der) throws GeneralSecurityException {
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
        GeneralSecurityException last = null;
        for (String algorithm : new String[] {"RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(spec);
            } catch (GeneralSecurityException e) {
                last = e;
            }
        }
        throw last;
    }

    /** Whether the key signs what the certificate's public key verifies. */
    public static boolean matches(PrivateKey key, PublicKey certificateKey) {
        String algorithm = switch (key.getAlgorithm().toUpperCase(Locale.ROOT)) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "RSASSA-PSS" -> "RSASSA-PSS";
            default -> key.getAlgorithm();
        };
        if (!key.getAlgorithm().equalsIgnoreCase(certificateKey.getAlgorithm())) {
            return false;
        }
        try {
            byte[] probe = "zkgate key check".getBytes(StandardCharsets.US_ASCII);
            Signature sign = signature(algorithm);
            sign.initSign(key);
            sign.update(probe);
            byte[] signature = sign.sign();
            Signature verify = signature(algorithm);
            verify.initVerify(certificateKey);
            verify.update(probe);
            return verify.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static Signature signature(String algorithm) throws GeneralSecurityException {
        Signature signature = Signature.getInstance(algorithm);
        if (algorithm.equals("RSASSA-PSS")) {
            signature.setParameter(new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 32, 1));
        }
        return signature;
    }

    /** PKCS#8 PrivateKeyInfo: version 0, the algorithm, the key as an octet string. */
    private static byte[] wrap(byte[] key, byte[] algorithm) {
        return sequence(new byte[] {0x02, 0x01, 0x00}, algorithm, tlv(0x04, key));
    }

    /** The named curve of a SEC1 ECPrivateKey: the OID in its optional [0] parameters. */
    private static byte[] curveOid(byte[] sec1) throws PemException {
        int[] outer = header(sec1, 0);
        int at = outer[0];
        int end = outer[0] + outer[1];
        while (at < end) {
            int tag = sec1[at] & 0xff;
            int[] h = header(sec1, at);
            if (tag == 0xa0) {
                int[] inner = header(sec1, h[0]);
                int innerEnd = inner[0] + inner[1];
                byte[] oid = new byte[innerEnd - h[0]];
                System.arraycopy(sec1, h[0], oid, 0, oid.length);
                return oid;
            }
            at = h[0] + h[1];
        }
        throw new PemException("the EC PRIVATE KEY names no curve (expected named-curve parameters)");
    }

    /** Offset of the contents and their length, for the TLV at {@code at}. */
    private static int[] header(byte[] der, int at) {
        int length = der[at + 1] & 0xff;
        int contents = at + 2;
        if (length > 0x7f) {
            int n = length & 0x7f;
            length = 0;
            for (int i = 0; i < n; i++) {
                length = (length << 8) | (der[at + 2 + i] & 0xff);
            }
            contents += n;
        }
        return new int[] {contents, length};
    }

    private static byte[] sequence(byte[]... parts) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            body.writeBytes(p);
        }
        return tlv(0x30, body.toByteArray());
    }

    private static byte[] tlv(int tag, byte[] contents) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(contents.length + 6);
        out.write(tag);
        int n = contents.length;
        if (n < 0x80) {
            out.write(n);
        } else if (n < 0x100) {
            out.write(0x81);
            out.write(n);
        } else if (n < 0x10000) {
            out.write(0x82);
            out.write(n >> 8);
            out.write(n);
        } else {
            out.write(0x83);
            out.write(n >> 16);
            out.write(n >> 8);
            out.write(n);
        }
        out.writeBytes(contents);
        return out.toByteArray();
    }
}
