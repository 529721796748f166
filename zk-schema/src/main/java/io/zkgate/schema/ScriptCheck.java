package io.zkgate.schema;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.compiler.LuaC;

/**
 * Checks a Lua filter script before it is stored: UTF-8, within the size a znode holds comfortably, and compiles
 * with LuaJ. Compiling runs nothing. The CLI checks before writing and the gateway can run the same check on what
 * it reads. Stateless and thread-safe.
 */
public final class ScriptCheck {
    /** Largest script accepted; ZooKeeper's default limit for a whole request is 1 MiB. */
    public static final int MAX_BYTES = 512 * 1024;

    private static final Pattern LUA_MESSAGE = Pattern.compile("^[^:]*:(\\d+): (.*)$", Pattern.DOTALL);

    private ScriptCheck() {}

    /**
     * Returns the source text, or throws with one problem naming {@code source} and the line.
     *
     * @param source file or znode name used in messages and as the Lua chunk name
     */
    public static String check(String source, byte[] content) throws ValidationException {
        if (content.length > MAX_BYTES) {
            throw new ValidationException(new Problem(source, "(document)",
                    content.length + " bytes (expected: at most " + MAX_BYTES + ")"));
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(content))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new ValidationException(new Problem(source, "(document)", "not UTF-8 text (expected: Lua source)"));
        }
        try {
            LuaC.instance.compile(new ByteArrayInputStream(content), "=" + source);
        } catch (LuaError e) {
            String message = e.getMessage() == null ? "does not compile" : e.getMessage();
            Matcher m = LUA_MESSAGE.matcher(message.startsWith(source + ":")
                    ? message.substring(source.length()) : message);
            if (message.startsWith(source + ":") && m.matches()) {
                throw new ValidationException(new Problem(source + ":" + m.group(1), "(lua)", m.group(2).trim()));
            }
            throw new ValidationException(new Problem(source, "(lua)", message.trim()));
        } catch (IOException | RuntimeException e) {
            throw new ValidationException(new Problem(source, "(lua)", "does not compile: " + e));
        }
        return text;
    }
}
