package io.zkgate.gateway.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * A loopback port where connections are refused for as long as this is open: the port is bound by a socket that
 * never listens, so no other test running beside this one (another fork, another server on port 0) can take it and
 * answer. A port merely found free and released can be handed out again at once. Thread-safe (immutable).
 */
public final class RefusedPort implements AutoCloseable {
    private final Socket holder = new Socket();

    public RefusedPort() {
        try {
            holder.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int port() {
        return holder.getLocalPort();
    }

    @Override
    public void close() throws IOException {
        holder.close();
    }
}
