package io.zkgate.gateway.support;

import java.io.FileInputStream;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * Run in its own JVM (with the JDK's own ban on old protocols lifted): tries one TLS handshake with only the
 * given protocol enabled and prints {@code OK <protocol>} or {@code FAILED <reason>}. Arguments: port, protocol,
 * CA PEM file.
 */
public final class TlsProtocolProbe {
    private TlsProtocolProbe() {}

    public static void main(String[] args) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        try (FileInputStream in = new FileInputStream(args[2])) {
            trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1",
                Integer.parseInt(args[0]))) {
            socket.setSoTimeout(10_000);
            socket.setEnabledProtocols(new String[] {args[1]});
            socket.startHandshake();
            System.out.println("OK " + socket.getSession().getProtocol());
        } catch (Exception e) {
            System.out.println("FAILED " + e);
        }
    }
}
