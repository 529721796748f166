package io.zkgate.gateway.proxy;

/** Aborts the upstream response when the route's {@code on_response} failed; carries the script's message. */
final class ScriptFailure extends Exception {
    private static final long serialVersionUID = 1L;

    ScriptFailure(String message) {
        super(message, null, false, false);
    }
}
