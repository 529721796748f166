package io.zkgate.gateway.scripting;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A script version that cannot serve: it does not compile, its top level fails, or it defines no
 * {@code on_request}. Immutable.
 */
public final class ScriptCompileException extends Exception {
    private static final long serialVersionUID = 1L;
    /** LuaJ's compiler says {@code [string "auth"]:3: msg}, its interpreter {@code auth:3 msg}. */
    private static final Pattern LOCATED = Pattern.compile("^(?:\\[string \"[^\"]*\"\\]|[^\\s:]+):(\\d+):? (.*)$",
            Pattern.DOTALL);

    private final int line;
    private final String reason;

    ScriptCompileException(int line, String reason) {
        super(line > 0 ? "line " + line + ": " + reason : reason);
        this.line = line;
        this.reason = reason;
    }

    /** Splits a LuaJ message into line and reason; {@code prefix} says in which phase it happened. */
    static ScriptCompileException of(String prefix, String luaMessage) {
        String m = LuaScript.clean(luaMessage);
        Matcher matcher = LOCATED.matcher(m);
        if (matcher.matches()) {
            return new ScriptCompileException(Integer.parseInt(matcher.group(1)), prefix + matcher.group(2));
        }
        return new ScriptCompileException(-1, prefix + m);
    }

    /** The line the problem is on, or -1 when it has none. */
    public int line() {
        return line;
    }

    public String reason() {
        return reason;
    }
}
