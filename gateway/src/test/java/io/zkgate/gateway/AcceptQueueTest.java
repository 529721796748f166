package io.zkgate.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.gateway.support.GatewayFixture;
import io.zkgate.gateway.support.RawHttp;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code --accept-queue}: a burst of new connections far past Java's default listen backlog (50) is queued whole by
 * the kernel, so no client's SYN is dropped and retried a second later.
 *
 * <p>The bound below is not a speed test: on loopback the kernel completes a handshake within the client's
 * {@code connect} while the listen queue has room, whatever the gateway is doing; a SYN the full queue drops is
 * retransmitted only after Linux's initial one-second timeout.
 */
class AcceptQueueTest {
    private static final int BURST = 300;

    @Test
    void aBurstOfConnectionsPastJavasDefaultBacklogIsQueuedWithoutADroppedSynAndEachIsServed() throws Exception {
        try (GatewayFixture f = GatewayFixture.synced()) {
            List<SocketChannel> channels = new ArrayList<>();
            try (Selector selector = Selector.open()) {
                long start = System.nanoTime();
                for (int i = 0; i < BURST; i++) {
                    SocketChannel channel = SocketChannel.open();
                    channels.add(channel);
                    channel.configureBlocking(false);
                    if (!channel.connect(new InetSocketAddress("127.0.0.1", f.port()))) {
                        channel.register(selector, SelectionKey.OP_CONNECT);
                    }
                }
                int connected = BURST - selector.keys().size();
                while (connected < BURST && System.nanoTime() - start < 5_000_000_000L) {
                    selector.select(100);
                    for (SelectionKey key : selector.selectedKeys()) {
                        if (((SocketChannel) key.channel()).finishConnect()) {
                            key.cancel();
                            connected++;
                        }
                    }
                    selector.selectedKeys().clear();
                }
                long ms = (System.nanoTime() - start) / 1_000_000;
                assertEquals(BURST, connected);
                assertTrue(ms < 1000, "the burst took " + ms + " ms: a SYN was dropped and retransmitted, so the "
                        + "listen backlog is below " + BURST);
            }
            for (SocketChannel channel : channels) {
                channel.configureBlocking(true);
                Socket socket = channel.socket();
                socket.setSoTimeout(10_000);
                socket.getOutputStream().write("GET /no-route HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
                        .getBytes(StandardCharsets.ISO_8859_1));
            }
            for (SocketChannel channel : channels) {
                String head = RawHttp.readThrough(channel.socket().getInputStream(), "\r\n\r\n");
                assertTrue(head.startsWith("HTTP/1.1 404"), head);
                channel.close();
            }
        }
    }
}
