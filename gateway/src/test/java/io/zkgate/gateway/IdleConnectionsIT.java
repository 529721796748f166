package io.zkgate.gateway;

import static io.zkgate.gateway.support.JarProcess.freePort;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.gateway.support.Http;
import io.zkgate.gateway.support.JarProcess;
import io.zkgate.gateway.support.RawHttp;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Idle client connections cost the gateway little memory, on either engine. The gateway jar runs with a 64 MB heap
 * and the launcher's exit on OutOfMemoryError; 3,000 client connections stay open, half never sending a byte and half
 * after two keep-alive requests. Before, on the event loop each held a 16 KiB input buffer for its whole life, and on
 * both engines Jetty's header-field cache from its second request on (a trie of some 20 KB for these small heads,
 * 100 KB for a browser's): the gateway died of it. Now a connection holds a buffer only while it has bytes to parse
 * (Jetty's own connection, on the servlet engine, always did), and no parser keeps a cache.
 */
class IdleConnectionsIT {
    private static final Path JAR = Path.of("target", "zkgate-gateway.jar");
    private static final int SILENT = 1500;
    private static final int AFTER_A_REQUEST = 1500;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "--engine {0}")
    @ValueSource(strings = {"loop", "servlet"})
    void thousandsOfIdleConnectionsFitASmallHeapAndTheGatewayServesOn(String engine) throws Exception {
        int port = freePort();
        int admin = freePort();
        List<Socket> open = new ArrayList<>();
        try (TestingServer zk = new TestingServer();
                JarProcess gw = JarProcess.start(JAR, dir.resolve("gw.log"),
                        List.of("-Xmx64m", "-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError"), Map.of(),
                        "--zk", zk.getConnectString(), "--host", "127.0.0.1", "--port", Integer.toString(port),
                        "--admin-port", Integer.toString(admin), "--engine", engine)) {
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
                    .until(() -> Http.get(admin, "/ready").statusCode() == 200);
            try {
                opensAndServes(gw, port, open);
            } catch (IOException e) {
                throw new AssertionError("the gateway stopped serving; it printed:\n" + gw.output(), e);
            } finally {
                for (Socket s : open) {
                    s.close();
                }
            }
        }
    }

    /** Opens the silent connections, then the ones that make a request, then asks each of those once more. */
    private static void opensAndServes(JarProcess gw, int port, List<Socket> open) throws Exception {
        for (int i = 0; i < SILENT; i++) {
            open.add(new Socket("127.0.0.1", port));
        }
        for (int i = 0; i < AFTER_A_REQUEST; i++) {
            Socket s = new Socket("127.0.0.1", port);
            open.add(s);
            s.setSoTimeout(10_000);
            String response = RawHttp.get(s, "/nowhere", "h");
            assertTrue(response.startsWith("HTTP/1.1 404"), "request " + i + ": " + response + "\n"
                    + gw.output());
            assertFalse(response.contains("Connection: close"), response);
        }
        for (Socket s : open.subList(SILENT, open.size())) { // each kept connection serves again
            String response = RawHttp.get(s, "/nowhere", "h");
            assertTrue(response.startsWith("HTTP/1.1 404"), response + "\n" + gw.output());
        }
        assertTrue(gw.isAlive(), gw.output());
        assertEquals(404, Http.get(port, "/nowhere").statusCode(), "a new client is served");
        assertFalse(gw.output().contains("OutOfMemoryError"), gw.output());
    }
}
