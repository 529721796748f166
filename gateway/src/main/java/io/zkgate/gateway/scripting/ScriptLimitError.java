package io.zkgate.gateway.scripting;

/**
 * Stops a script that went over a limit (instructions, call depth, string size). An {@link Error} on purpose: LuaJ's
 * {@code pcall} and {@code xpcall} catch {@code LuaError} and {@code Exception} only, so a script cannot catch it.
 * Carries no stack trace: it is thrown by design, and may be thrown more than once per call. Immutable.
 */
final class ScriptLimitError extends Error {
    private static final long serialVersionUID = 1L;

    ScriptLimitError(String message) {
        super(message, null, false, false);
    }
}
