package io.zkgate.gateway.support;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * One HTTPS connection to 127.0.0.1 that names {@code serverName} for SNI and checks the server's certificate
 * against that name (HTTPS endpoint identification), whatever the host resolves to; requests are sent raw and one
 * response is read at a time, so a test can keep the connection open between requests.
 * Not thread-safe.
 */
public final class TlsClient implements AutoCloseable {
    private final SSLSocket socket;

    public TlsClient(SSLContext context, int port, String serverName) throws IOException {
        Socket plain = new Socket();
        plain.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        plain.setSoTimeout(10_000);
        socket = (SSLSocket) context.getSocketFactory().createSocket(plain, serverName, port, true);
        SSLParameters parameters = socket.getSSLParameters();
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
        socket.setSSLParameters(parameters);
        socket.startHandshake();
    }

    /** The certificate the server presented. */
    public X509Certificate serverCertificate() throws IOException {
        return (X509Certificate) socket.getSession().getPeerCertificates()[0];
    }

    public String protocol() {
        return socket.getSession().getProtocol();
    }

    /** Sends a GET of {@code path} (keep-alive) and reads its response: head and body (UTF-8). */
    public String get(String path, String host) throws IOException {
        return new String(RawHttp.get(socket, path, host).getBytes(StandardCharsets.ISO_8859_1),
                StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
