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

    /** {@code what} (such as {@code script 'auth'}) is not in ZooKeeper at {@code path}. */
    static CtlException absent(String what, String path) {
        return failed("no " + what + " (" + path + " does not exist)");
    }

    /** ZooKeeper refused a write under {@code path}; a multi-op's refusal names no path, so the caller names it. */
    static CtlException notAuthorised(String path) {
        return failed("not authorised to change " + path + " (give an operator's --auth user:password); nothing was"
                + " written");
    }

    int exitCode() {
        return exitCode;
    }
}
