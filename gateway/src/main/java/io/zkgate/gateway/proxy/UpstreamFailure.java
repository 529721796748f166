package io.zkgate.gateway.proxy;

import java.io.EOFException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.UnresolvedAddressException;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.client.HttpResponseException;
import org.eclipse.jetty.http.HttpException;

/**
 * Tells what a failed upstream exchange on the servlet engine means for the router: a timeout answers 504 and is
 * never retried; a request that never reached the backend may be retried whatever its method. Stateless.
 */
final class UpstreamFailure {
    private UpstreamFailure() {}

    /** The response timeout (upstream silence) or a gRPC deadline ran out. */
    static boolean isTimeout(Throwable failure) {
        return cause(failure, TimeoutException.class) != null;
    }

    /** The connection was never made, so the backend got nothing. */
    static boolean neverSent(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof ConnectException || t instanceof NoRouteToHostException
                    || t instanceof UnresolvedAddressException
                    || (t instanceof SocketTimeoutException && String.valueOf(t.getMessage()).contains("onnect"))) {
                return true;
            }
        }
        return false;
    }

    /**
     * What went wrong, as an error body's message says it, in the loop engine's words where it has them. Jetty's
     * client puts its connection's internals (addresses, object ids, parser state) into its exceptions' messages;
     * those stay out.
     */
    static String describe(Throwable failure) {
        HttpException malformed = cause(failure, HttpException.class);
        if (malformed != null || cause(failure, HttpResponseException.class) != null) {
            String reason = malformed == null ? null : malformed.getReason();
            return "the backend's response is malformed" + (reason == null ? "" : ": " + reason);
        }
        if (cause(failure, EOFException.class) != null || cause(failure, ClosedChannelException.class) != null) {
            return "the backend closed the connection";
        }
        String message = failure.getMessage();
        int internals = message == null ? -1 : message.indexOf("oejc");
        if (internals >= 0) {
            message = message.substring(0, internals).strip();
        }
        return failure.getClass().getName() + (message == null || message.isEmpty() ? "" : ": " + message);
    }

    /** The first of {@code failure}'s causes (itself included) of {@code type}, or null. */
    static <T> T cause(Throwable failure, Class<T> type) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }
}
