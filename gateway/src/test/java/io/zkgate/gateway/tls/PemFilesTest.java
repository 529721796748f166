package io.zkgate.gateway.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.gateway.support.TestCertificates;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The three private key forms cert-manager, Let's Encrypt and openssl write are all read, by the TLS listener and for
 * routes' {@code upstream.tls} files alike.
 */
class PemFilesTest {
    /** secp256r1, 1.2.840.10045.3.1.7 */
    private static final byte[] P256 = {0x06, 0x08, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x03, 0x01, 0x07};

    @Test
    void rsaKeysAreReadAsPkcs8AndAsPkcs1() throws Exception {
        KeyPair pair = KeyPairGenerator.getInstance("RSA").generateKeyPair();
        byte[] pkcs8 = pair.getPrivate().getEncoded();
        PrivateKey fromPkcs8 = PemFiles.privateKey(TestCertificates.pem(pkcs8, "PRIVATE KEY"));
        PrivateKey fromPkcs1 = PemFiles.privateKey("# a comment openssl never writes\n"
                + TestCertificates.pem(innerKey(pkcs8), "RSA PRIVATE KEY"));
        assertArrayEquals(pkcs8, fromPkcs8.getEncoded());
        assertArrayEquals(pkcs8, fromPkcs1.getEncoded());
    }

    @Test
    void ecKeysAreReadAsPkcs8AndAsSec1WithTheirNamedCurve() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair pair = generator.generateKeyPair();
        BigInteger s = ((ECPrivateKey) pair.getPrivate()).getS();
        byte[] scalar = fixed(s.toByteArray(), 32);
        ByteArrayOutputStream sec1 = new ByteArrayOutputStream();
        sec1.write(0x30);
        sec1.write(3 + 2 + 32 + 2 + P256.length);
        sec1.writeBytes(new byte[] {0x02, 0x01, 0x01, 0x04, 0x20});
        sec1.writeBytes(scalar);
        sec1.write(0xa0);
        sec1.write(P256.length);
        sec1.writeBytes(P256);
        String pem = "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n"
                + TestCertificates.pem(sec1.toByteArray(), "EC PRIVATE KEY");
        assertEquals(s, ((ECPrivateKey) PemFiles.privateKey(pem)).getS());
        PrivateKey pkcs8 = PemFiles.privateKey(TestCertificates.pem(pair.getPrivate().getEncoded(), "PRIVATE KEY"));
        assertEquals(s, ((ECPrivateKey) pkcs8).getS());
    }

    @Test
    void encryptedKeysAndFilesWithoutAKeyAreRefusedSayingWhy() {
        PemFiles.PemException encrypted = assertThrows(PemFiles.PemException.class,
                () -> PemFiles.privateKey(TestCertificates.pem(new byte[] {1, 2, 3}, "ENCRYPTED PRIVATE KEY")));
        assertTrue(encrypted.getMessage().startsWith("the private key is encrypted"), encrypted.getMessage());
        PemFiles.PemException none = assertThrows(PemFiles.PemException.class,
                () -> PemFiles.privateKey(TestCertificates.pem(new byte[] {1, 2, 3}, "CERTIFICATE")));
        assertTrue(none.getMessage().startsWith("no private key in it"), none.getMessage());
        PemFiles.PemException noCertificate = assertThrows(PemFiles.PemException.class,
                () -> PemFiles.certificates("hello"));
        assertTrue(noCertificate.getMessage().startsWith("no PEM certificate in it"), noCertificate.getMessage());
    }

    @Test
    void keyStoresForUpstreamTlsAreReadFromFilesInEveryKeyFormAndFailuresNameTheFile(@TempDir Path dir)
            throws Exception {
        Path cert = resource("backend.pem");
        Path pkcs8 = resource("backend.key.pem");
        KeyStore trusted = PemFiles.trustStore(resource("ca.pem"));
        assertTrue(trusted.isCertificateEntry("ca-0"));
        KeyStore fromPkcs8 = PemFiles.keyStore(cert, pkcs8, "pw".toCharArray());
        PrivateKey key = (PrivateKey) fromPkcs8.getKey("key", "pw".toCharArray());
        Path pkcs1 = Files.writeString(dir.resolve("backend.rsa.pem"),
                TestCertificates.pem(innerKey(key.getEncoded()), "RSA PRIVATE KEY"));
        assertEquals(key, PemFiles.keyStore(cert, pkcs1, "pw".toCharArray()).getKey("key", "pw".toCharArray()));

        Path missing = dir.resolve("missing.pem");
        IOException absent = assertThrows(IOException.class, () -> PemFiles.trustStore(missing));
        assertEquals(missing + ": no such file", absent.getMessage());
        KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
        ec.initialize(new ECGenParameterSpec("secp256r1"));
        Path ecKey = Files.writeString(dir.resolve("ec.key.pem"),
                TestCertificates.pem(ec.generateKeyPair().getPrivate().getEncoded(), "PRIVATE KEY"));
        IOException mismatch = assertThrows(IOException.class,
                () -> PemFiles.keyStore(cert, ecKey, "pw".toCharArray()));
        assertEquals(ecKey + ": a EC key, but " + cert + " holds a RSA certificate (expected: the key of the "
                + "certificate)", mismatch.getMessage());
        IOException notPem = assertThrows(IOException.class, () -> PemFiles.trustStore(ecKey));
        assertTrue(notPem.getMessage().startsWith(ecKey + ": no PEM certificate in it"), notPem.getMessage());
    }

    private static Path resource(String name) throws Exception {
        return Path.of(PemFilesTest.class.getResource("/tls/" + name).toURI());
    }

    /** The key inside a PKCS#8 PrivateKeyInfo: the contents of its octet string, after version and algorithm. */
    private static byte[] innerKey(byte[] pkcs8) {
        int at = contents(pkcs8, 0);
        at = next(pkcs8, at); // version
        at = next(pkcs8, at); // algorithm
        int start = contents(pkcs8, at);
        return Arrays.copyOfRange(pkcs8, start, next(pkcs8, at));
    }

    private static int contents(byte[] der, int at) {
        int length = der[at + 1] & 0xff;
        return length > 0x7f ? at + 2 + (length & 0x7f) : at + 2;
    }

    private static int next(byte[] der, int at) {
        int length = der[at + 1] & 0xff;
        if (length > 0x7f) {
            int n = length & 0x7f;
            length = 0;
            for (int i = 0; i < n; i++) {
                length = (length << 8) | (der[at + 2 + i] & 0xff);
            }
            return at + 2 + n + length;
        }
        return at + 2 + length;
    }

    private static byte[] fixed(byte[] unsigned, int size) {
        byte[] out = new byte[size];
        int copy = Math.min(unsigned.length, size);
        System.arraycopy(unsigned, unsigned.length - copy, out, size - copy, copy);
        return out;
    }
}
