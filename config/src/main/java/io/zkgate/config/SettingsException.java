package io.zkgate.config;

/**
 * Settings could not be loaded. {@link #exitCode()} is 2 for command-line and environment problems (usage) and 1
 * for a bad configuration file (validation). Immutable.
 */
public final class SettingsException extends Exception {
    private static final long serialVersionUID = 1L;

    public static final int USAGE = 2;
    public static final int INVALID = 1;

    private final int exitCode;

    public SettingsException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}
