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
        respond(x, error.status(), "Content-Type: application/json\r\n" + responseLines(x.edits),
                error.body(routeId, message, x.edits).getBytes(StandardCharsets.UTF_8), closeAfter);
    }

    /** A {@code bad_path} answer, made before routing: it carries a request id all the same. */
    static void refuseUnrouted(Exchange x, String message) {
        x.edits = x.router.unroutedIds(x.requestHeaders.get(RequestTracing.REQUEST_ID),
                x.requestHeaders.get(RequestTracing.TRACEPARENT));
        refuse(x, null, ErrorResponse.BAD_PATH, message);
    }

    static void answerFromScript(Exchange x, Decision.Answer answer) {
        x.router.record(answer.route(), x.method, answer.script().respondedStatus(), x.startNanos);
        StringBuilder headers = new StringBuilder();
        answer.headers().appendResponseLines(headers);
        byte[] body = answer.script().respondedBody(headers);
        respond(x, answer.script().respondedStatus(), headers.toString(), body, x.requestHasBody && !x.requestDone);
    }

    /** A route's own bodiless answer (a redirect, a preflight). */
    static void reply(Exchange x, Decision.Reply reply) {
        x.router.record(reply.route(), x.method, reply.status(), x.startNanos);
        respond(x, reply.status(), responseLines(reply.headers()), new byte[0], x.requestHasBody && !x.requestDone);
    }

    /** A JSON error the parser found, with the request's ids ({@code ids}), on a connection that then closes. */
    static void parserError(ClientConnection client, int code, String json, HeaderEdits ids) {
        write(client, code, "Content-Type: application/json\r\n" + responseLines(ids),
                json.getBytes(StandardCharsets.UTF_8), false, HttpVersion.HTTP_1_1);
    }

    private static String responseLines(HeaderEdits edits) {
        if (!edits.hasResponse()) {
            return "";
        }
        StringBuilder lines = new StringBuilder(64);
        edits.appendResponseLines(lines);
        return lines.toString();
    }

    /** Writes a whole response the gateway made itself; the exchange is then over. */
    private static void respond(Exchange x, int code, String headers, byte[] body, boolean close) {
        x.end();
        x.statusSent = code;
        x.bytesSent = body.length;
        x.logAccess();
        boolean keep = !close && x.keepAlive; // the Connection header sent and what the connection does agree
        write(x.client, code, headers, body, keep, x.version);
        x.client.exchangeDone(keep);
    }

    private static void write(ClientConnection client, int code, String headers, byte[] body, boolean keepAlive,
            HttpVersion version) {
        StringBuilder head = new StringBuilder(128).append("HTTP/1.1 ").append(code).append(' ')
                .append(HttpStatus.getMessage(code)).append("\r\n");
        if (headers != null) {
            head.append(headers);
        }
        head.append("Content-Length: ").append(body.length).append("\r\n");
        if (!keepAlive) {
            head.append("Connection: close\r\n");
        } else if (version == HttpVersion.HTTP_1_0) {
            head.append("Connection: keep-alive\r\n");
        }
        head.append("\r\n");
        client.out.write(ByteBuffer.wrap(head.toString().getBytes(StandardCharsets.ISO_8859_1)), ByteBuffer.wrap(body));
    }
}
