package io.zkgate.gateway.loop;

import io.zkgate.gateway.mirror.Mirror;
import io.zkgate.gateway.routing.Decision;
import io.zkgate.gateway.routing.ErrorResponse;
import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.util.BufferUtil;

/**
 * A client's request relayed to the backend of an {@link Exchange}: the head written once the upstream connection is
 * open, {@code Expect: 100-continue} answered by the gateway, the body streamed with back-pressure in the client's
 * framing (Content-Length as is, chunked re-chunked with its trailers, held to the route's body limit), the rest of a
 * body dropped once the exchange was answered, and the mirror's copy of a body small enough to copy. Stateless: it
 * works on the exchange's fields, on the exchange's event-loop thread.
 */
final class RequestRelay {
    private static final ByteBuffer CONTINUE = BufferUtil.toBuffer("HTTP/1.1 100 Continue\r\n\r\n").asReadOnlyBuffer();

    private RequestRelay() {}

    /** Writes the request head to the attached upstream connection, once it is open. */
    static void sendHead(Exchange x) {
        ByteBuffer head = UpstreamRequestHead.of(x);
        x.requestSent = x.requestHasBody ? x.upstream.out.write(head) : x.upstream.out.writeAtTurnEnd(head);
        if (x.requestSent) {
            headSent(x);
        }
    }

    /** The backend took the request head (or a body piece): the client may send more. */
    static void upstreamWriteDrained(Exchange x) {
        if (!x.requestSent) {
            x.requestSent = true;
            headSent(x);
        } else {
            x.client.resume();
        }
    }

    /**
     * The backend has the head: the body may flow. A client that sent {@code Expect: 100-continue} is told to send
     * it now; the gateway answers the expectation itself (like nginx) and does not forward it.
     */
    private static void headSent(Exchange x) {
        if (x.requestHasBody && !x.requestDone) {
            if (x.version == HttpVersion.HTTP_1_1 && !x.continueSent
                    && "100-continue".equalsIgnoreCase(x.requestHeaders.get(HttpHeader.EXPECT))) {
                x.continueSent = true;
                if (!x.client.out.write(CONTINUE.slice())) {
                    return; // the client resumes once the 100 has drained
                }
            }
            x.client.resume(); // parse the body now that there is somewhere to send it
        }
    }

    /** A piece of the request body, a slice of the client's input buffer. @return false to pause the client */
    static boolean content(Exchange x, ByteBuffer content) {
        byte[] mirrorBody = x.mirrorBody;
        if (mirrorBody != null) {
            // before the check below: a backend may answer before it read the body, and the copy still needs it whole
            int n = Math.min(content.remaining(), mirrorBody.length - x.mirrorBodyBytes);
            content.duplicate().get(mirrorBody, x.mirrorBodyBytes, n);
            x.mirrorBodyBytes += n;
        }
        UpstreamConnection upstream = x.upstream;
        if (x.finished || upstream == null) {
            return true; // the exchange was answered already: the rest of the body is dropped
        }
        x.requestBodyStarted = true;
        x.requestBodyBytes += content.remaining();
        if (x.requestChunked) {
            Decision.Forward forward = x.forward;
            long max = forward == null ? Long.MAX_VALUE : x.router.maxBodyBytes(forward.route());
            if (x.requestBodyBytes > max) {
                if (x.responseToClient) {
                    // The backend answered first, so its answer stands; it still gets nothing past the limit, nor
                    // the body's end, and neither connection is kept once that answer has ended.
                    x.requestBodyCut = true;
                    x.closeClient = true;
                    return true;
                }
                UpstreamAttempts.release(x, false);
                LocalAnswers.refuse(x, forward.routeId(), ErrorResponse.BODY_TOO_LARGE,
                        "request body is over the route's limit of " + max + " bytes");
                x.router.record(forward.route(), x.method, 413, x.startNanos);
                return true;
            }
            return upstream.out.write(Chunks.sizeLine(content.remaining()), content, Chunks.end());
        }
        return upstream.out.write(content);
    }

    /** The whole request was read. */
    static void complete(Exchange x) {
        x.requestDone = true;
        if (x.mirrorBody != null && x.mirrorBodyBytes == x.mirrorBody.length) {
            x.engine.mirror.send(x.mirrored, x.method, x.query, x.requestHeaders, x.client.clientAddress(),
                    x.mirrorBody);
        }
        x.mirrorBody = null;
        if (x.drainingBody) {
            x.drainingBody = false;
            x.client.exchangeDone(true);
            return;
        }
        if (x.upstream != null && x.requestChunked && !x.finished && !x.requestBodyCut) {
            x.upstream.out.write(Chunks.last(x.requestTrailers));
        }
        if (x.responseDone) {
            x.finish();
        }
    }

    /**
     * Hands the request's copy to the mirror sender now when it has no body; a body up to the mirror's limit is
     * copied as it streams to the backend and the copy goes once it is whole ({@link #complete}).
     */
    static void mirror(Exchange x, Decision.Forward forward) {
        Mirror mirror = x.engine.mirror;
        if (mirror == null) {
            return;
        }
        if (!x.requestHasBody) {
            mirror.send(forward, x.method, x.query, x.requestHeaders, x.client.clientAddress(), null);
            return;
        }
        long length = x.requestHeaders.getLongField(HttpHeader.CONTENT_LENGTH);
        if (x.requestChunked || length < 0 || length > Mirror.MAX_BODY_BYTES) {
            Mirror.bodyNotCopied(forward);
            return;
        }
        x.mirrored = forward;
        x.mirrorBody = new byte[(int) length];
    }
}
