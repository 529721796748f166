package io.zkgate.gateway.proxy;

import java.io.IOException;

/** A streamed request body went over the route's limit: the exchange is aborted and answered 413. */
final class BodyTooLargeException extends IOException {
    private static final long serialVersionUID = 1L;

    BodyTooLargeException(long max) {
        super("request body is over the route's limit of " + max + " bytes", null);
    }
}
