package io.zkgate.gateway.loop;

import io.zkgate.schema.Route;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * gzip (RFC 1952) for one response body on the event loop, with the JDK's {@link Deflater}: each piece the backend
 * sends is compressed and sync-flushed at once, so a streamed body keeps flowing; {@link #finish} writes the
 * trailer. Also the loop engine's rules for which responses a route's {@code compression} block compresses.
 * A deflater holds about 256 KiB of native memory until {@link #end}, which the exchange calls however it ends, so
 * clients that abandon compressed responses do not pile it up until a full collection finds their encoders.
 * Confined to its exchange.
 */
final class GzipEncoder {
    private static final byte[] HEADER = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, (byte) 0xff};
    /** Media types already compressed, or that must flush per message or event, never compressed. */
    private static final Set<String> NEVER = Set.of("text/event-stream", "application/grpc", "application/zip",
            "application/gzip", "application/x-gzip", "application/zstd", "application/x-brotli",
            "application/x-7z-compressed", "application/x-rar-compressed", "application/x-bzip2", "application/x-xz",
            "application/octet-stream", "application/pdf", "font/woff", "font/woff2");

    /** Encoders whose deflater is not yet ended, across the process. */
    private static final AtomicInteger OPEN = new AtomicInteger();

    private final Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
    private final CRC32 crc = new CRC32();
    private boolean headerSent;
    private boolean ended;
    private byte[] out = new byte[8 * 1024];

    GzipEncoder() {
        OPEN.incrementAndGet();
    }

    /** Encoders still holding a deflater's native memory. */
    static int open() {
        return OPEN.get();
    }

    /**
     * Whether {@code route} compresses this response for a client that sent {@code acceptEncoding}: a 200 with a
     * body, not encoded by the backend, of a compressible type, of unknown length or at least the route's minimum.
     */
    static boolean applies(Route route, String acceptEncoding, int status, String contentEncoding, String contentType,
            long contentLength) {
        Route.Compression c = route.compression();
        if (c == null || !c.on() || status != 200 || contentEncoding != null || !acceptsGzip(acceptEncoding)
                || (contentLength >= 0 && contentLength < c.effectiveMinBytes())) {
            return false;
        }
        String type = mediaType(contentType);
        if (type == null || NEVER.contains(type) || type.startsWith("application/grpc") || type.startsWith("audio/")
                || type.startsWith("video/") || (type.startsWith("image/") && !type.equals("image/svg+xml"))) {
            return false;
        }
        return c.contentTypes().isEmpty() || c.contentTypes().contains(type);
    }

    /** Whether the header offers gzip (or {@code *}) with a non-zero quality. */
    static boolean acceptsGzip(String acceptEncoding) {
        if (acceptEncoding == null) {
            return false;
        }
        for (String part : acceptEncoding.split(",")) {
            String[] params = part.split(";");
            String coding = params[0].trim().toLowerCase(Locale.ROOT);
            if (coding.equals("gzip") || coding.equals("*")) {
                boolean refused = false;
                for (int i = 1; i < params.length; i++) {
                    String p = params[i].trim().replace(" ", "");
                    if (p.startsWith("q=") && p.substring(2).matches("0(\\.0{0,3})?")) {
                        refused = true;
                    }
                }
                if (!refused) {
                    return true;
                }
            }
        }
        return false;
    }

    private static String mediaType(String contentType) {
        if (contentType == null) {
            return null;
        }
        int semi = contentType.indexOf(';');
        return (semi < 0 ? contentType : contentType.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
    }

    /** {@code in} compressed and flushed (the gzip header first); {@code in} is consumed. */
    ByteBuffer encode(ByteBuffer in) {
        byte[] bytes = new byte[in.remaining()];
        in.get(bytes);
        crc.update(bytes);
        deflater.setInput(bytes);
        return drain(Deflater.SYNC_FLUSH, 0);
    }

    /** The rest of the stream and the gzip trailer (CRC-32 and length); the encoder is done. */
    ByteBuffer finish() {
        deflater.finish();
        ByteBuffer rest = drain(Deflater.NO_FLUSH, 8);
        long sum = crc.getValue();
        long size = deflater.getBytesRead();
        for (int i = 0; i < 4; i++) {
            rest.put((byte) (sum >>> (8 * i)));
        }
        for (int i = 0; i < 4; i++) {
            rest.put((byte) (size >>> (8 * i)));
        }
        end();
        return rest.flip();
    }

    /** Frees the deflater's native memory; the encoder is done. Idempotent. */
    void end() {
        if (!ended) {
            ended = true;
            deflater.end();
            OPEN.decrementAndGet();
        }
    }

    /** Deflates what is pending into a buffer with {@code spare} bytes left after it (flip mode once flipped). */
    private ByteBuffer drain(int flush, int spare) {
        int n = 0;
        if (!headerSent) {
            System.arraycopy(HEADER, 0, out, 0, HEADER.length);
            n = HEADER.length;
            headerSent = true;
        }
        while (true) {
            n += deflater.deflate(out, n, out.length - n, flush);
            if (n < out.length && (flush != Deflater.NO_FLUSH || deflater.finished())) {
                break;
            }
            out = Arrays.copyOf(out, out.length * 2);
        }
        ByteBuffer result = ByteBuffer.allocate(n + spare);
        result.put(out, 0, n);
        return spare == 0 ? result.flip() : result;
    }
}
