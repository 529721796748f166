package io.zkgate.loadtest;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpCompliance;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.http.HttpVersion;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * What Jetty's {@link HttpParser} costs the loop engine per keep-alive request, with the settings it could run with:
 * one parser per connection, as the engine keeps it, parsing the same head again and again (ab's request on the
 * client side, nginx's answer on the upstream side). {@code cache} is the parser's per-connection field cache:
 * {@code default} (Jetty's), {@code off} ({@code setHeaderCacheSize(0)}), {@code caseSensitive}. Confined to its
 * benchmark thread.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
public class HeaderParsingBenchmark {
    private static final byte[] REQUEST = ("GET /plain/ HTTP/1.0\r\nConnection: Keep-Alive\r\nHost: 127.0.0.1:8080\r\n"
            + "User-Agent: ApacheBench/2.3\r\nAccept: */*\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
    private static final byte[] RESPONSE = ("HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Wed, 02 Dec 2026 06:20:00 "
            + "GMT\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok")
            .getBytes(StandardCharsets.ISO_8859_1);

    @Param({"default", "off", "caseSensitive"})
    public String cache;

    private final Handler handler = new Handler();
    private HttpParser requestParser;
    private HttpParser responseParser;
    private ByteBuffer request;
    private ByteBuffer response;

    /** Counts what the parser hands over, as the engine's handlers take each field. */
    static final class Handler implements HttpParser.RequestHandler, HttpParser.ResponseHandler {
        int fields;

        @Override
        public void startRequest(String method, String uri, HttpVersion version) {
            fields++;
        }

        @Override
        public void startResponse(HttpVersion version, int status, String reason) {
            fields++;
        }

        @Override
        public void parsedHeader(HttpField field) {
            fields += field.getValue().length();
        }

        @Override
        public boolean headerComplete() {
            return false;
        }

        @Override
        public boolean content(ByteBuffer item) {
            item.position(item.limit());
            return false;
        }

        @Override
        public boolean contentComplete() {
            return false;
        }

        @Override
        public boolean messageComplete() {
            return true;
        }

        @Override
        public void badMessage(org.eclipse.jetty.http.HttpException failure) {
            throw new IllegalStateException(failure.getReason());
        }

        @Override
        public void earlyEOF() {
            throw new IllegalStateException("early EOF");
        }
    }

    @Setup
    public void setUp() {
        requestParser = configured(new HttpParser((HttpParser.RequestHandler) handler, 8192, HttpCompliance.RFC9110));
        responseParser = configured(new HttpParser((HttpParser.ResponseHandler) handler, 65536,
                HttpCompliance.RFC9110));
        request = ByteBuffer.wrap(REQUEST);
        response = ByteBuffer.wrap(RESPONSE);
    }

    private HttpParser configured(HttpParser parser) {
        if (cache.equals("off")) {
            parser.setHeaderCacheSize(0);
        } else if (cache.equals("caseSensitive")) {
            parser.setHeaderCacheCaseSensitive(true);
        }
        return parser;
    }

    @Benchmark
    public int clientRequest() {
        return parse(requestParser, request);
    }

    @Benchmark
    public int backendResponse() {
        return parse(responseParser, response);
    }

    /** One whole message from the start of {@code bytes}, on a parser reset as a kept-alive connection's is. */
    private int parse(HttpParser parser, ByteBuffer bytes) {
        bytes.rewind();
        parser.reset();
        while (!parser.isComplete() && bytes.hasRemaining()) {
            parser.parseNext(bytes);
        }
        return handler.fields;
    }
}
