package io.zkgate.schema.cli;

/** A command failed in a way the operator can act on; the message is printed as is. Immutable. */
final class CtlException extends Exception {
    private static final long serialVersionUID = 1L;

    private final int exitCode;

    CtlException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    static CtlException failed(String message) {
        return new CtlException(ZkgateCtl.FAILED, message);
    }

    int exitCode() {
        return exitCode;
    }
}
