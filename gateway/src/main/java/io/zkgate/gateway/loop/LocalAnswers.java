package io.zkgate.gateway.loop;

import io.zkgate.gateway.routing.Decision;
import io.zkgate.gateway.routing.ErrorResponse;
import io.zkgate.gateway.routing.HeaderEdits;
import io.zkgate.gateway.routing.RequestTracing;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.http.HttpVersion;

/**
 * The answers the event loop writes itself, whole and with a Content-Length: the contract's JSON errors (refusals,
 * and the 502, 504 and 413 found once the request was under way), a script's answer, a route's bodiless reply, and
 * the parser's errors. An exchange answered here is over. Stateless; it runs on the event loop's thread of the
 * exchange or connection it answers for.
 */
final class LocalAnswers {
    private LocalAnswers() {}

    /**
     * Answers with the contract's JSON error, the request's id in its body and the decision's response headers (a
     * request id, CORS) on it: for refusals, and for the errors this front door finds later (502, 504, 413).
     */
    static void refuse(Exchange x, String routeId, ErrorResponse error, String message) {
        boolean closeAfter = error == ErrorResponse.BODY_TOO_LARGE || x.requestHasBody && !x.requestDone;
        HeadBuilder head = statusLine(x.client, error.status());
        head.line("Content-Type", "application/json");
        x.edits.appendResponseLines(head);
        respond(x, error.status(), head, error.body(routeId, message, x.edits).getBytes(StandardCharsets.UTF_8),
                closeAfter);
    }

    /** A {@code bad_path} answer, made before routing: it carries a request id all the same. */
    static void refuseUnrouted(Exchange x, String message) {
        x.edits = x.router.unroutedIds(x.requestHeaders.get(RequestTracing.REQUEST_ID),
                x.requestHeaders.get(RequestTracing.TRACEPARENT));
        refuse(x, null, ErrorResponse.BAD_PATH, message);
    }

    static void answerFromScript(Exchange x, Decision.Answer answer) {
        int code = answer.script().respondedStatus();
        x.router.record(answer.route(), x.method, code, x.startNanos);
        HeadBuilder head = statusLine(x.client, code);
        answer.headers().appendResponseLines(head);
        byte[] body = answer.script().respondedBody(head);
        respond(x, code, head, body, x.requestHasBody && !x.requestDone);
    }

    /** A route's own bodiless answer (a redirect, a preflight). */
    static void reply(Exchange x, Decision.Reply reply) {
        x.router.record(reply.route(), x.method, reply.status(), x.startNanos);
        HeadBuilder head = statusLine(x.client, reply.status());
        reply.headers().appendResponseLines(head);
        respond(x, reply.status(), head, new byte[0], x.requestHasBody && !x.requestDone);
    }

    /** A JSON error the parser found, with the request's ids ({@code ids}), on a connection that then closes. */
    static void parserError(ClientConnection client, int code, String json, HeaderEdits ids) {
        HeadBuilder head = statusLine(client, code);
        head.line("Content-Type", "application/json");
        ids.appendResponseLines(head);
        write(client, head, json.getBytes(StandardCharsets.UTF_8), false, HttpVersion.HTTP_1_1);
    }

    /**
     * A head in the client's builder: the answer replaces any response head of the exchange not yet sent, so only a
     * write still under way keeps the builder's array.
     */
    private static HeadBuilder statusLine(ClientConnection client, int code) {
        return client.head.statusLine(client.out.pending(), code, HttpStatus.getMessage(code));
    }

    /** Writes a whole response the gateway made itself; the exchange is then over. */
    private static void respond(Exchange x, int code, HeadBuilder head, byte[] body, boolean close) {
        x.pendingHead = null;
        x.end();
        x.statusSent = code;
        x.bytesSent = body.length;
        x.logAccess();
        boolean keep = !close && x.keepAlive; // the Connection header sent and what the connection does agree
        write(x.client, head, body, keep, x.version);
        x.client.exchangeDone(keep);
    }

    private static void write(ClientConnection client, HeadBuilder head, byte[] body, boolean keepAlive,
            HttpVersion version) {
        head.append("Content-Length: ").append(body.length).crlf();
        if (!keepAlive) {
            head.line("Connection", "close");
        } else if (version == HttpVersion.HTTP_1_0) {
            head.line("Connection", "keep-alive");
        }
        client.out.write(head.end(), ByteBuffer.wrap(body));
    }
}
