package io.zkgate.gateway.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.io.AbstractConnection;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.AbstractConnectionFactory;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.BufferUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The event loop's connector: a connection's whole life, from accept to close, stays on its loop's thread. */
class LoopConnectorTest {
    private final Server server = new Server();
    private final List<String> events = new CopyOnWriteArrayList<>();
    private final CountDownLatch closed = new CountDownLatch(1);

    @AfterEach
    void stop() throws Exception {
        server.stop();
    }

    @Test
    void anAcceptedConnectionIsOpenedReadAndClosedOnItsLoopThreadWithNoHandOffToThePool() throws Exception {
        LoopConnector connector = new LoopConnector(server, 1, new RecordingFactory());
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        server.start();

        try (Socket client = new Socket("127.0.0.1", connector.getLocalPort())) {
            OutputStream out = client.getOutputStream();
            out.write("a".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            client.shutdownOutput(); // the connection reads the end and closes its side
            assertTrue(closed.await(10, TimeUnit.SECONDS), "closed: " + events);
        }

        assertEquals(List.of("open", "read", "close"), events.stream().map(e -> e.split(" ")[0]).toList());
        String loopThread = events.get(1).split(" ", 2)[1];
        for (String event : events) {
            assertEquals(loopThread, event.split(" ", 2)[1], "every callback on the thread that read: " + events);
        }
    }

    /** Records each callback with the thread it ran on; closes at the client's end of input. */
    private final class RecordingFactory extends AbstractConnectionFactory {
        RecordingFactory() {
            super("recording");
        }

        @Override
        public Connection newConnection(Connector connector, EndPoint endPoint) {
            return new AbstractConnection.NonBlocking(endPoint, connector.getExecutor()) {
                private final ByteBuffer buffer = BufferUtil.allocate(64);

                @Override
                public void onOpen() {
                    events.add("open " + Thread.currentThread().getName());
                    super.onOpen();
                    fillInterested();
                }

                @Override
                public void onFillable() {
                    try {
                        int n = getEndPoint().fill(buffer);
                        if (n > 0 && !events.stream().anyMatch(e -> e.startsWith("read"))) {
                            events.add("read " + Thread.currentThread().getName());
                        }
                        BufferUtil.clear(buffer);
                        if (n < 0) {
                            getEndPoint().close();
                        } else {
                            fillInterested();
                        }
                    } catch (Exception e) {
                        getEndPoint().close(e);
                    }
                }

                @Override
                public void onClose(Throwable cause) {
                    events.add("close " + Thread.currentThread().getName());
                    super.onClose(cause);
                    closed.countDown();
                }
            };
        }
    }
}
