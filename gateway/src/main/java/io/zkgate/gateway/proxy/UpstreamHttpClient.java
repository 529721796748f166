package io.zkgate.gateway.proxy;

import org.eclipse.jetty.client.ContentDecoder;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.HttpClientTransport;
import org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP;
import org.eclipse.jetty.io.Content;

/**
 * Jetty's {@link HttpClient} for the gateway's own requests to backends (the servlet front door's, the mirror's, the
 * active health checker's): it never decodes a response and never adds an {@code Accept-Encoding} the client did not
 * send, so bytes pass through as the backend encoded them. A plain Jetty client, when started with no decoders, finds
 * every {@code Compression} on the class path through a {@code ServiceLoader} and starts it: brotli and zstd then
 * load their native libraries, and brotli's loader extracts its library into the temporary directory on every start
 * and leaves the directory behind after the gateway stops (a container restarted often fills its {@code /tmp}).
 * Jetty's proxy servlet clears the decoders again after the start; this client never loads them.
 * Thread-safe as Jetty's client.
 */
public final class UpstreamHttpClient extends HttpClient {
    /**
     * The largest response head a backend may send, on both engines; the client-side limit for response heads is
     * the same, so a head the gateway accepted can be sent on. A larger one is a malformed response (502).
     */
    public static final int MAX_RESPONSE_HEAD_BYTES = 64 * 1024;

    /** Stands in the decoder table while the client starts, so that Jetty looks up none; removed at once. */
    private static final class NoDecoder extends ContentDecoder.Factory {
        NoDecoder() {
            super("identity");
        }

        @Override
        public Content.Source newDecoderContentSource(Content.Source source) {
            return source;
        }
    }

    public UpstreamHttpClient(HttpClientTransport transport) {
        super(transport);
    }

    /** HTTP/1.1 over a {@link LazyTlsClientConnector}: the mirror's and the health checker's client. */
    public static UpstreamHttpClient overHttp11() {
        return new UpstreamHttpClient(new HttpClientTransportOverHTTP(new LazyTlsClientConnector()));
    }

    @Override
    protected void doStart() throws Exception {
        ContentDecoder.Factories decoders = getContentDecoderFactories();
        if (!decoders.isEmpty()) {
            throw new IllegalStateException("an upstream client passes bodies through: no content decoder is set");
        }
        NoDecoder placeholder = new NoDecoder();
        decoders.put(placeholder);
        try {
            super.doStart();
        } finally {
            decoders.clear();
            decoders.removeBean(placeholder);
        }
    }
}
