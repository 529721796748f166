package io.zkgate.schema;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.luaj.vm2.Lua;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Prototype;
import org.luaj.vm2.compiler.LuaC;

/**
 * The one check of a Lua filter script, run by {@code zkgate-ctl scripts put} before it stores a script and by the
 * gateway on every script znode it reads: UTF-8, within the size a znode holds comfortably, compiles with LuaJ, and
 * assigns the global function {@code on_request}. Compiling runs nothing; whether the script assigns
 * {@code on_request} is read from the compiled code. Stateless and thread-safe.
 */
public final class ScriptCheck {
    /** Largest script accepted; ZooKeeper's default limit for a whole request is 1 MiB. */
    public static final int MAX_BYTES = 512 * 1024;

    /** The function every script must define. */
    public static final String ON_REQUEST = "on_request";

    /** LuaJ's compiler says {@code name:3: msg} (chunk name {@code =name}). */
    private static final Pattern LUA_MESSAGE = Pattern.compile("^[^:]*:(\\d+): (.*)$", Pattern.DOTALL);
    private static final LuaValue ON_REQUEST_KEY = LuaValue.valueOf(ON_REQUEST);

    private ScriptCheck() {}

    /**
     * Why a script cannot serve.
     *
     * @param line   the line the problem is on, or -1 when it has none
     * @param reason what is wrong and what was expected
     */
    public record Failure(int line, String reason) {}

    /**
     * A script that passed the check.
     *
     * @param text      the source text
     * @param prototype the compiled chunk, ready to run
     */
    public record Compiled(String text, Prototype prototype) {}

    /** Thrown by {@link #compile}: the script fails the check. Immutable. */
    public static final class ScriptException extends Exception {
        private static final long serialVersionUID = 1L;
        private final transient Failure failure;

        ScriptException(Failure failure) {
            super(failure.line() > 0 ? "line " + failure.line() + ": " + failure.reason() : failure.reason());
            this.failure = failure;
        }

        public Failure failure() {
            return failure;
        }
    }

    /**
     * Returns the source text, or throws with one problem naming {@code source} and the line.
     *
     * @param source file or znode name used in messages and as the Lua chunk name
     */
    public static String check(String source, byte[] content) throws ValidationException {
        try {
            return compile(source, content).text();
        } catch (ScriptException e) {
            Failure f = e.failure();
            throw new ValidationException(new Problem(f.line() > 0 ? source + ":" + f.line() : source,
                    f.line() == 0 ? "(document)" : "(lua)", f.reason()));
        }
    }

    /**
     * Checks and compiles a script.
     *
     * @param name the script's name, its Lua chunk name
     * @throws ScriptException the script fails the check (line 0: the document as a whole; -1: no line)
     */
    public static Compiled compile(String name, byte[] content) throws ScriptException {
        if (content.length > MAX_BYTES) {
            throw new ScriptException(new Failure(0, content.length + " bytes (expected: at most " + MAX_BYTES + ")"));
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(content))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new ScriptException(new Failure(0, "not UTF-8 text (expected: Lua source)"));
        }
        Prototype p;
        try {
            p = LuaC.instance.compile(new ByteArrayInputStream(content), "=" + name);
        } catch (LuaError e) {
            String message = e.getMessage() == null ? "does not compile" : e.getMessage().strip();
            String rest = message.startsWith(name + ":") ? message.substring(name.length()) : message;
            Matcher m = LUA_MESSAGE.matcher(rest);
            if (message.startsWith(name + ":") && m.matches()) {
                throw new ScriptException(new Failure(Integer.parseInt(m.group(1)), m.group(2).strip()));
            }
            throw new ScriptException(new Failure(-1, message));
        } catch (IOException | RuntimeException | StackOverflowError e) {
            throw new ScriptException(new Failure(-1, "does not compile: " + e));
        }
        if (!assignsGlobal(p, ON_REQUEST_KEY)) {
            throw new ScriptException(new Failure(-1, "the script defines no function " + ON_REQUEST
                    + "(req) (expected: function " + ON_REQUEST + "(req) ... end at its top level)"));
        }
        return new Compiled(text, p);
    }

    /** Whether any function of the chunk assigns the global {@code key} ({@code SETTABUP _ENV "key"}). */
    private static boolean assignsGlobal(Prototype p, LuaValue key) {
        for (int i : p.code) {
            if (Lua.GET_OPCODE(i) == Lua.OP_SETTABUP) {
                int b = Lua.GETARG_B(i);
                if (Lua.ISK(b) && key.raweq(p.k[Lua.INDEXK(b)])) {
                    return true;
                }
            }
        }
        for (Prototype nested : p.p) {
            if (assignsGlobal(nested, key)) {
                return true;
            }
        }
        return false;
    }
}
