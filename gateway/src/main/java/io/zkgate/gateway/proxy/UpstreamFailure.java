package io.zkgate.gateway.proxy;

import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.util.concurrent.TimeoutException;

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

    /** The first of {@code failure}'s causes (itself included) of {@code type}, or null. */
    static <T extends Throwable> T cause(Throwable failure, Class<T> type) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }
}
