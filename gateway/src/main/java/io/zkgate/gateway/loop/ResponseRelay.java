package io.zkgate.gateway.loop;

import io.zkgate.gateway.routing.Decision;
import io.zkgate.gateway.routing.ErrorResponse;
import io.zkgate.gateway.routing.HeaderEdits;
import io.zkgate.gateway.routing.ResponseView;
import io.zkgate.gateway.scripting.ScriptExchange;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Set;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpVersion;

/**
 * A backend's response relayed to the client of an {@link Exchange}: interim responses passed on, a 502 or 503 read
 * and dropped when it is retried elsewhere, {@code on_response}, the head rewritten (hop-by-hop fields out, the
 * decision's headers in, gzip, framing: the backend's Content-Length kept, else chunked to HTTP/1.1 clients and
 * close-delimited to HTTP/1.0 ones), the body with back-pressure, the end (last chunk, upstream connection back to the
 * pool, the rest of an unread request body drained or the connection closed), and the 101 that opens a tunnel.
 * Stateless: it works on the exchange's fields, on the exchange's event-loop thread.
 */
final class ResponseRelay {
    /**
     * When a backend answers before it read the whole body, at most this much of the body left is read and dropped so
     * the client's connection can serve its next request (as nginx does); beyond it, or for a chunked body, the
     * connection closes after the answer.
     */
    private static final long MAX_BODY_TO_DRAIN = 64 * 1024;

    private ResponseRelay() {}

    /** Whether the response just parsed is an interim one (1xx but 101), relayed to the client before the final one. */
    static boolean interim(Exchange x) {
        int status = x.status;
        if (status < 100 || status >= 200 || status == 101) {
            return false;
        }
        if (x.version == HttpVersion.HTTP_1_1 && status != 100) { // 100 Continue is the gateway's own business
            HeadBuilder head = new HeadBuilder(128).statusLine(false, status, x.reason);
            for (HttpField field : x.responseHeaders) {
                head.line(field.getName(), field.getValue());
            }
            if (!x.client.out.write(head.end()) && x.upstream != null) {
                x.upstream.pause(); // what follows waits until the client took this one, as the final head would
            }
        }
        return true;
    }

    /** @return false to pause the upstream until the client drained */
    static boolean headersComplete(Exchange x, long contentLength, boolean chunked) {
        int status = x.status;
        Decision.Forward forward = x.forward;
        HttpFields.Mutable responseHeaders = x.responseHeaders;
        if (status == 101 && x.upgrade) {
            openTunnel(x);
            return false; // the upstream's parser stops for good: the rest is tunnel bytes
        }
        if (status >= 100 && status < 200) {
            return true; // interim: relayed when complete
        }
        x.router.answered(forward.endpoint(), status);
        if ((status == 502 || status == 503) && !x.requestBodyStarted) {
            Decision.Forward next = x.router.retry(forward, x.method, false, true);
            if (next != null) {
                x.discarding = true;
                x.retryAfterDiscard = next;
                return true;
            }
        }
        ScriptExchange script = forward.script();
        if (script != null && script.hasOnResponse() && !script.onResponse(new HeadersView(responseHeaders), status)) {
            UpstreamAttempts.release(x, false); // the backend's answer is dropped unsent
            LocalAnswers.refuse(x, forward.routeId(), ErrorResponse.SCRIPT_ERROR, script.failure());
            x.router.record(forward.route(), x.method, 500, x.startNanos);
            return true;
        }
        boolean noBody = "HEAD".equals(x.method) || status == 204 || status == 304;
        ClientConnection client = x.client;
        HeadBuilder head = client.head.statusLine(client.out.pending(), status, x.reason);
        Set<String> named = HopByHop.connectionTokens(responseHeaders);
        HeaderEdits edits = forward.headers();
        boolean edited = edits.hasResponse();
        for (HttpField field : responseHeaders) {
            if (HopByHop.relayedToClient(field, named) && !(edited && edits.setsResponse(field.getLowerCaseName()))) {
                head.line(field.getName(), field.getValue());
            }
        }
        if (edited) {
            edits.appendResponseLines(head);
        }
        if (!noBody && forward.route().route().compresses() && GzipEncoder.applies(forward.route().route(),
                x.requestHeaders.get(HttpHeader.ACCEPT_ENCODING), status,
                responseHeaders.get(HttpHeader.CONTENT_ENCODING), responseHeaders.get(HttpHeader.CONTENT_TYPE),
                chunked ? -1 : contentLength)) {
            x.gzip = new GzipEncoder();
            head.line("Content-Encoding", "gzip");
            head.line("Vary", "Accept-Encoding");
        }
        if (noBody) {
            String length = responseHeaders.get(HttpHeader.CONTENT_LENGTH);
            if (length != null && !(status == 204)) {
                head.line("Content-Length", length);
            }
        } else if (x.gzip == null && !chunked && contentLength >= 0) {
            head.append("Content-Length: ").append(contentLength).crlf();
        } else if (x.version == HttpVersion.HTTP_1_1) {
            x.chunkedToClient = true;
            head.line("Transfer-Encoding", "chunked");
        } else {
            x.closeClient = true;
        }
        if (!x.keepAlive || x.closeClient || x.engine.isShutdown()) {
            x.closeClient = true;
            head.line("Connection", "close");
        } else if (x.version == HttpVersion.HTTP_1_0) {
            head.line("Connection", "keep-alive");
        }
        x.pendingHead = head.end();
        x.responseToClient = true;
        x.statusSent = status;
        return true;
    }

    /** A piece of the response body, a slice of the upstream's input buffer. @return false to pause the upstream */
    static boolean content(Exchange x, ByteBuffer content) {
        if (x.discarding) {
            return true;
        }
        Writes out = x.client.out;
        x.bytesSent += content.remaining();
        ByteBuffer head = takeHead(x);
        if (x.gzip != null) {
            content = x.gzip.encode(content);
            if (!content.hasRemaining()) {
                return head == null || out.write(head);
            }
        }
        if (x.chunkedToClient) {
            ByteBuffer size = Chunks.sizeLine(content.remaining());
            return head == null ? out.write(size, content, Chunks.end()) : out.write(head, size, content, Chunks.end());
        }
        return head == null ? out.write(content) : out.write(head, content);
    }

    /** Writes the response head if it is still waiting for body bytes to go out with. */
    static void flushHead(Exchange x) {
        ByteBuffer head = x.pendingHead;
        if (head != null && !x.discarding) {
            x.pendingHead = null;
            if (!x.client.out.write(head)) {
                UpstreamConnection u = x.upstream;
                if (u != null) {
                    u.pause();
                }
            }
        }
    }

    /** The backend's response is complete. */
    static void complete(Exchange x) {
        if (x.discarding) {
            Decision.Forward next = x.retryAfterDiscard;
            x.discarding = false;
            x.retryAfterDiscard = null;
            UpstreamAttempts.release(x, true);
            if (x.backendMetrics != null) {
                x.backendMetrics.responded(System.nanoTime() - x.upstreamStartNanos);
            }
            UpstreamAttempts.send(x, next);
            return;
        }
        Writes out = x.client.out;
        ByteBuffer head = takeHead(x);
        ByteBuffer tail = x.gzip == null ? null : x.gzip.finish();
        x.gzip = null;
        if (tail != null) {
            ByteBuffer[] buffers = x.chunkedToClient
                    ? new ByteBuffer[] {head, Chunks.sizeLine(tail.remaining()), tail, Chunks.end(),
                        Chunks.last(x.responseTrailers)}
                    : new ByteBuffer[] {head, tail};
            out.write(head == null ? Arrays.copyOfRange(buffers, 1, buffers.length) : buffers);
        } else if (x.chunkedToClient) {
            if (head == null) {
                out.write(Chunks.last(x.responseTrailers));
            } else {
                out.write(head, Chunks.last(x.responseTrailers));
            }
        } else if (head != null) {
            out.write(head);
        }
        x.responseDone = true;
        x.upstreamNanos = System.nanoTime() - x.upstreamStartNanos;
        if (x.backendMetrics != null) {
            x.backendMetrics.responded(x.upstreamNanos);
        }
        x.router.record(x.forward.route(), x.method, x.status, x.startNanos);
        boolean reusable = x.requestDone && !x.requestBodyCut && x.responseVersion == HttpVersion.HTTP_1_1
                && !x.responseHeaders.contains(HttpHeader.CONNECTION, "close");
        UpstreamAttempts.release(x, reusable);
        if (x.requestDone) {
            x.finish();
        } else if (!x.requestChunked && !x.closeClient && x.requestHeaders.getLongField(HttpHeader.CONTENT_LENGTH)
                - x.requestBodyBytes <= MAX_BODY_TO_DRAIN) {
            // The backend answered before it read the whole body (a handler that never reads it): the exchange is
            // over, and the connection serves the next request once the rest of the body has been read and dropped.
            x.end();
            x.logAccess();
            x.drainingBody = true;
            x.client.resume();
        } else {
            x.closeClient = true; // the rest of the body is too large to read for nothing, or cannot be framed away
            x.finish();
        }
    }

    private static ByteBuffer takeHead(Exchange x) {
        ByteBuffer head = x.pendingHead;
        x.pendingHead = null;
        return head;
    }

    /**
     * The backend accepted the WebSocket handshake: its 101 goes to the client, and both connections become a byte
     * tunnel on this loop. Bytes either side sent after its head are forwarded first.
     */
    private static void openTunnel(Exchange x) {
        Decision.Forward forward = x.forward;
        HeaderEdits edits = x.edits;
        x.router.answered(forward.endpoint(), x.status);
        x.router.record(forward.route(), x.method, x.status, x.startNanos);
        x.upstreamNanos = System.nanoTime() - x.upstreamStartNanos;
        x.statusSent = x.status;
        HeadBuilder head = new HeadBuilder(256).statusLine(false, 101, x.reason);
        for (HttpField field : x.responseHeaders) {
            String name = field.getLowerCaseName();
            if (!name.equals("content-length") && !name.equals("transfer-encoding") && !name.equals("keep-alive")
                    && !edits.setsResponse(name)) {
                head.line(field.getName(), field.getValue());
            }
        }
        edits.appendResponseLines(head);
        UpstreamConnection u = x.upstream;
        x.upstream = null;
        x.acquired = false; // the tunnel holds the backend as in flight until it closes
        x.end();
        x.logAccess();
        ByteTunnel tunnel = x.client.startTunnel(u, u.input(), forward.endpoint());
        u.becomeTunnel(tunnel);
        if (x.client.out.write(head.end())) {
            tunnel.upstreamToClient.pump();
        } else {
            tunnel.upstreamToClient.hold();
        }
        tunnel.clientToUpstream.pump();
    }

    /** The backend's response headers as on_response edits them. */
    private record HeadersView(HttpFields.Mutable headers) implements ResponseView {
        @Override
        public String header(String name) {
            return headers.get(name);
        }

        @Override
        public void setHeader(String name, String value) {
            headers.put(name, value);
        }

        @Override
        public void removeHeader(String name) {
            headers.remove(name);
        }
    }
}
