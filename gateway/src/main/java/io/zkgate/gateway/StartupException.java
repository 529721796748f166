package io.zkgate.gateway;

/**
 * The gateway cannot start for a reason the operator can fix (a port in use, a data directory held by another
 * process); the message is one line saying what and which flag changes it, and is printed without a stack trace.
 * Immutable.
 */
public class StartupException extends Exception {
    private static final long serialVersionUID = 1L;

    public StartupException(String message) {
        super(message);
    }
}
