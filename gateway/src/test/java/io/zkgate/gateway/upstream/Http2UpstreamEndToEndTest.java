package io.zkgate.gateway.upstream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.zkgate.gateway.support.GatewayFixture;
import io.zkgate.gateway.support.Http;
import io.zkgate.gateway.support.RawHttp;
import io.zkgate.gateway.support.TestBackend;
import io.zkgate.gateway.support.TestCertificates;
import io.zkgate.gateway.support.TlsClient;
import io.zkgate.gateway.support.ZkWriter;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Random;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.StringRequestContent;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http2.client.HTTP2Client;
import org.eclipse.jetty.http2.client.transport.HttpClientTransportOverHTTP2;
import org.eclipse.jetty.http2.server.HTTP2CServerConnectionFactory;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Routes with {@code upstream.protocol: "h2c"} reach HTTP/2-only backends, from HTTP/1.1 and HTTP/2 clients alike. */
class Http2UpstreamEndToEndTest {
    @TempDir
    Path dir;

    /** An h2c-only backend (no HTTP/1.1 at all) answering with the protocol it heard and the body it got. */
    static Server h2cBackend() throws Exception {
        return h2cServer(protocolEcho());
    }

    /** Answers with the protocol it heard, the method and the body it got. */
    static Handler protocolEcho() {
        return new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                String body = Content.Source.asString(request, StandardCharsets.UTF_8);
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain");
                response.write(true, ByteBuffer.wrap((request.getConnectionMetaData().getProtocol() + " "
                        + request.getMethod() + " " + body).getBytes(StandardCharsets.UTF_8)), callback);
                return true;
            }
        };
    }

    /** An h2c-only server (no HTTP/1.1 at all) on a free loopback port, started. */
    private static Server h2cServer(Handler handler) throws Exception {
        Server server = new Server();
        return UpstreamTlsEndToEndTest.serve(server, new ServerConnector(server,
                new HTTP2CServerConnectionFactory(new HttpConfiguration())), handler);
    }

    static int port(Server server) {
        return ((ServerConnector) server.getConnectors()[0]).getLocalPort();
    }

    @Test
    void anH2cRouteSpeaksHttp2ToItsBackendForHttp1AndHttp2Clients() throws Exception {
        Server backend = h2cBackend();
        HttpClient http1 = new HttpClient();
        HttpClient http2 = new HttpClient(new HttpClientTransportOverHTTP2(new HTTP2Client()));
        try (GatewayFixture f = new GatewayFixture("--engine", "servlet", "--h2c")) {
            http1.start();
            http2.start();
            f.writer.register("h2", "1", port(backend), 1);
            f.writer.putRoute("h2", "{\"id\":\"h2\",\"match\":{\"pathPrefix\":\"/h2\"},\"service\":\"h2\","
                    + "\"upstream\":{\"protocol\":\"h2c\"}}");
            String url = "http://127.0.0.1:" + f.port() + "/h2/x";
            await().atMost(Duration.ofSeconds(10)).until(() -> http1.GET(url).getStatus() == 200);

            ContentResponse viaHttp1 = http1.POST(url).body(new StringRequestContent("from-1")).send();
            assertEquals("HTTP/2.0 POST from-1", viaHttp1.getContentAsString());

            ContentResponse viaHttp2 = http2.POST(url).body(new StringRequestContent("from-2")).send();
            assertEquals("HTTP/2.0", viaHttp2.getVersion().asString());
            assertEquals("HTTP/2.0 POST from-2", viaHttp2.getContentAsString());
        } finally {
            http1.stop();
            http2.stop();
            backend.stop();
        }
    }

    /**
     * An h2c-only backend answering {@code protocol method path bodyLength sha256(body) X-Lua X-Forwarded-Proto}
     * with a Content-Length, so a large body is checked byte for byte without echoing it.
     */
    static Server h2cDigestBackend() throws Exception {
        return h2cServer(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                long length = 0;
                try (InputStream in = Content.Source.asInputStream(request)) {
                    byte[] chunk = new byte[8192];
                    for (int n; (n = in.read(chunk)) > 0; ) {
                        sha.update(chunk, 0, n);
                        length += n;
                    }
                }
                byte[] body = (request.getConnectionMetaData().getProtocol() + " " + request.getMethod() + " "
                        + request.getHttpURI().getPath() + " " + length + " " + HexFormat.of().formatHex(sha.digest())
                        + " " + request.getHeaders().get("X-Lua") + " " + request.getHeaders().get("X-Forwarded-Proto"))
                        .getBytes(StandardCharsets.UTF_8);
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain");
                response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
                response.write(true, ByteBuffer.wrap(body), callback);
                return true;
            }
        });
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    private static final String EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    /**
     * The default engine serves h2c routes to HTTP/1.1 clients by handing their connections to the servlet front
     * door: a GET, a 1 MiB POST whose head and first bytes arrive in one read and the rest in pieces, then, on the
     * same connection, a plain HTTP/1.1 route and the h2c route again; two pipelined requests in one write; and a
     * chunked body.
     */
    @Test
    void theDefaultEngineServesAnH2cRouteToHttp1ClientsAndTheirConnectionServesOtherRoutesAfterward() throws Exception {
        Server backend = h2cDigestBackend();
        HttpClient http1 = new HttpClient();
        try (GatewayFixture f = new GatewayFixture()) {
            http1.start();
            TestBackend plain = f.closeLater(TestBackend.start("plain"));
            f.writer.register("h2", "1", port(backend), 1);
            f.writer.register("plain", "1", plain.port(), 1);
            f.writer.putRoute("h2", "{\"id\":\"h2\",\"match\":{\"pathPrefix\":\"/h2\"},\"service\":\"h2\","
                    + "\"upstream\":{\"protocol\":\"h2c\"}}");
            f.writer.putRoute("plain", ZkWriter.route("plain", "/plain", "plain"));
            String base = "http://127.0.0.1:" + f.port();
            await().atMost(Duration.ofSeconds(10)).until(() -> http1.GET(base + "/h2/x").getStatus() == 200
                    && http1.GET(base + "/plain/x").getStatus() == 200);

            ContentResponse get = http1.GET(base + "/h2/get");
            assertEquals(200, get.getStatus());
            assertEquals("HTTP/2.0 GET /h2/get 0 " + EMPTY_SHA256 + " null http", get.getContentAsString());

            byte[] body = new byte[1024 * 1024];
            new Random(17).nextBytes(body);
            try (RawConnection c = new RawConnection(f.port())) {
                byte[] head = ("POST /h2/upload HTTP/1.1\r\nHost: gw\r\nContent-Type: application/octet-stream\r\n"
                        + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
                byte[] first = new byte[head.length + 10_000];
                System.arraycopy(head, 0, first, 0, head.length);
                System.arraycopy(body, 0, first, head.length, 10_000);
                c.write(first); // the head and the body's start in one read of the event loop
                for (int at = 10_000; at < body.length; at += 64 * 1024) {
                    Thread.sleep(5);
                    c.write(Arrays.copyOfRange(body, at, Math.min(body.length, at + 64 * 1024)));
                }
                String upload = c.read();
                assertEquals(200, RawHttp.status(upload), upload);
                assertEquals("HTTP/2.0 POST /h2/upload " + body.length + " " + sha256(body) + " null http",
                        RawHttp.body(upload));

                c.write("GET /plain/after HTTP/1.1\r\nHost: gw\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                String after = c.read();
                assertEquals(200, RawHttp.status(after), after);
                assertEquals("plain", RawHttp.header(after, "X-Backend"));
                assertEquals("plain /plain/after\n", RawHttp.body(after));

                c.write("GET /h2/again HTTP/1.1\r\nHost: gw\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                assertEquals("HTTP/2.0 GET /h2/again 0 " + EMPTY_SHA256 + " null http", RawHttp.body(c.read()));
            }

            try (RawConnection c = new RawConnection(f.port())) {
                c.write(("GET /h2/first HTTP/1.1\r\nHost: gw\r\n\r\nGET /plain/second HTTP/1.1\r\nHost: gw\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
                assertEquals("HTTP/2.0 GET /h2/first 0 " + EMPTY_SHA256 + " null http", RawHttp.body(c.read()));
                assertEquals("plain /plain/second\n", RawHttp.body(c.read()));
            }

            try (RawConnection c = new RawConnection(f.port())) { // a chunked body, its framing as the client sent it
                c.write("POST /h2/chunked HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"
                        .getBytes(StandardCharsets.ISO_8859_1));
                Thread.sleep(20);
                c.write("6\r\n world\r\n0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                assertEquals("HTTP/2.0 POST /h2/chunked 11 " + sha256("hello world".getBytes(StandardCharsets.UTF_8))
                        + " null http", RawHttp.body(c.read()));
            }
        } finally {
            http1.stop();
            backend.stop();
        }
    }

    /**
     * A request handed from the event loop to the servlet front door is routed once: a rate limit of 3 lets exactly 3
     * of 6 through, the route's Lua filter runs once per request that passed it and its header reaches the backend
     * once, and each request is counted once.
     */
    @Test
    void routeFeaturesApplyOnceToRequestsForAnH2cRoute() throws Exception {
        Server backend = h2cDigestBackend();
        try (GatewayFixture f = new GatewayFixture()) {
            f.writer.register("h2", "1", port(backend), 1);
            f.writer.putRaw("/zkgate/scripts/mark", "function on_request(req) "
                    + "req.set_header('X-Lua', (req.header('X-Lua') or '') .. 'lua') end");
            f.writer.putRoute("lim", "{\"id\":\"lim\",\"match\":{\"pathPrefix\":\"/lim\"},\"service\":\"h2\","
                    + "\"upstream\":{\"protocol\":\"h2c\"},\"script\":\"mark\","
                    + "\"rateLimit\":{\"requestsPerSecond\":0.001,\"burst\":3,\"key\":\"header:X-Tenant\"}}");
            int[] warm = {0};
            await().atMost(Duration.ofSeconds(10)).until(() -> RawHttp.status(get(f, "/lim/warm", "w" + warm[0]++))
                    == 200);
            String metrics = Http.metrics(f.adminPort());
            double scripts = Http.sample(metrics, "zkgate_script_duration_seconds_count{script=\"mark\"}");
            Double refused = Http.sample(metrics, "zkgate_requests_total{route=\"lim\",method=\"GET\",status=\"4xx\"}");

            int ok = 0;
            int limited = 0;
            for (int i = 0; i < 6; i++) { // each on its own connection: each one handed over and routed
                String r = get(f, "/lim/x", "t");
                if (RawHttp.status(r) == 200) {
                    ok++;
                    assertEquals("HTTP/2.0 GET /lim/x 0 " + EMPTY_SHA256 + " lua http", RawHttp.body(r));
                } else {
                    assertEquals(429, RawHttp.status(r), r);
                    limited++;
                }
            }
            assertEquals(3, ok, "a burst of 3 lets exactly 3 through");
            assertEquals(3, limited);
            String after = Http.metrics(f.adminPort());
            assertEquals(scripts + 3, Http.sample(after, "zkgate_script_duration_seconds_count{script=\"mark\"}"),
                    "the script ran once per request that passed the limit");
            assertEquals((refused == null ? 0 : refused) + 3,
                    Http.sample(after, "zkgate_requests_total{route=\"lim\",method=\"GET\",status=\"4xx\"}"));
        } finally {
            backend.stop();
        }
    }

    /** Over TLS too (an HTTP/1.1 client by ALPN's default): the backend is told the client's connection was HTTPS. */
    @Test
    void anHttp11ClientOverTlsIsServedAnH2cRouteAsHttps() throws Exception {
        Server backend = h2cDigestBackend();
        TestCertificates ca = TestCertificates.in(dir);
        ca.issue("localhost").writeTo(dir.resolve("l.pem"), dir.resolve("l.key"));
        try (GatewayFixture f = new GatewayFixture("--tls-port", "0", "--tls-cert", dir.resolve("l.pem").toString(),
                "--tls-key", dir.resolve("l.key").toString())) {
            f.writer.register("h2", "1", port(backend), 1);
            f.writer.putRoute("h2", "{\"id\":\"h2\",\"match\":{\"pathPrefix\":\"/h2\"},\"service\":\"h2\","
                    + "\"upstream\":{\"protocol\":\"h2c\"}}");
            await().atMost(Duration.ofSeconds(10)).until(() -> RawHttp.status(get(f, "/h2/x", "w")) == 200);
            try (TlsClient tls = new TlsClient(ca.clientContext(), f.gateway.tlsPort(), "localhost")) {
                String r = tls.get("/h2/secure", "localhost");
                assertEquals(200, RawHttp.status(r), r);
                assertEquals("HTTP/2.0 GET /h2/secure 0 " + EMPTY_SHA256 + " null https", RawHttp.body(r));
                assertEquals("HTTP/2.0 GET /h2/again 0 " + EMPTY_SHA256 + " null https",
                        RawHttp.body(tls.get("/h2/again", "localhost")), "the same connection, served on");
            }
        } finally {
            backend.stop();
        }
    }

    private static String get(GatewayFixture f, String path, String tenant) throws Exception {
        return RawHttp.exchange(f.port(), "GET " + path + " HTTP/1.1\r\nHost: gw\r\nX-Tenant: " + tenant
                + "\r\nConnection: close\r\n\r\n");
    }

    /** One client connection that writes raw bytes and reads one response at a time (Content-Length or chunked). */
    private static final class RawConnection implements AutoCloseable {
        private final Socket socket;
        private final InputStream in;

        RawConnection(int port) throws Exception {
            socket = new Socket("127.0.0.1", port);
            socket.setSoTimeout(20_000);
            in = new BufferedInputStream(socket.getInputStream());
        }

        void write(byte[] bytes) throws Exception {
            socket.getOutputStream().write(bytes);
            socket.getOutputStream().flush();
        }

        /** The next response, head and body (chunked bodies unframed). */
        String read() throws Exception {
            String head = line(new StringBuilder());
            StringBuilder all = new StringBuilder(head);
            long length = 0;
            boolean chunked = false;
            for (String field; !(field = line(new StringBuilder())).equals("\r\n"); ) {
                all.append(field);
                String lower = field.toLowerCase(Locale.ROOT);
                if (lower.startsWith("content-length:")) {
                    length = Long.parseLong(lower.substring(15).trim());
                } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                    chunked = true;
                }
            }
            all.append("\r\n");
            if (!chunked) {
                return all.append(new String(in.readNBytes((int) length), StandardCharsets.UTF_8)).toString();
            }
            for (int size; (size = Integer.parseInt(line(new StringBuilder()).trim(), 16)) > 0; ) {
                all.append(new String(in.readNBytes(size), StandardCharsets.UTF_8));
                line(new StringBuilder());
            }
            while (!line(new StringBuilder()).equals("\r\n")) {
                // trailers
            }
            return all.toString();
        }

        private String line(StringBuilder line) throws Exception {
            while (line.length() < 2 || line.charAt(line.length() - 2) != '\r' || line.charAt(line.length() - 1) != '\n') {
                int b = in.read();
                if (b < 0) {
                    throw new EOFException("connection closed after: " + line);
                }
                line.append((char) b);
            }
            return line.toString();
        }

        @Override
        public void close() throws Exception {
            socket.close();
        }
    }
}
