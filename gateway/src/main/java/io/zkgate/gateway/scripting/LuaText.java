package io.zkgate.gateway.scripting;

import java.nio.charset.StandardCharsets;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaValue;

/**
 * Text between Lua and Java for the {@code req} and {@code res} functions: arguments checked to be strings and
 * decoded from UTF-8, results encoded. The static methods are thread-safe; a {@link Cache} is confined to the thread
 * of its Lua state.
 */
final class LuaText {
    private LuaText() {}

    /** {@code v} as a Java string, or a Lua error naming the function and the argument. */
    static String string(String function, String what, LuaValue v) {
        if (v instanceof LuaString s) {
            return decode(s);
        }
        if (!v.isstring()) {
            throw new LuaError(function + ": " + what + " must be a string, got " + v.typename());
        }
        return v.tojstring();
    }

    /** The JDK's UTF-8 decoder has an intrinsic ASCII fast path; LuaJ's own goes byte by byte. */
    static String decode(LuaString s) {
        return new String(s.m_bytes, s.m_offset, s.m_length, StandardCharsets.UTF_8);
    }

    /** {@code s} as a Lua string, or nil for null. */
    static LuaValue text(String s) {
        return s == null ? LuaValue.NIL : LuaString.valueUsing(s.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Converts Lua strings to checked header names or values, remembering recent ones by identity: a constant in the
     * script is the same LuaString on every call, so it is converted and checked once per state.
     */
    static final class Cache {
        private static final int SIZE = 32;
        private static final int MAX_CACHED = 256;
        private final boolean names;
        private final LuaString[] keys = new LuaString[SIZE];
        private final String[] texts = new String[SIZE];

        /** @param names whether this cache checks header names, else header values */
        Cache(boolean names) {
            this.names = names;
        }

        /** @param header for messages: the name the value belongs to, or the function */
        String get(String function, String what, LuaValue v, String header) {
            if (v instanceof LuaString s) {
                int i = s.hashCode() & (SIZE - 1);
                if (keys[i] == s) {
                    return texts[i];
                }
                String text = check(decode(s), header);
                if (s.m_length <= MAX_CACHED) {
                    keys[i] = s;
                    texts[i] = text;
                }
                return text;
            }
            return check(string(function, what, v), header);
        }

        private String check(String text, String header) {
            if (names) {
                ScriptExchange.checkHeaderName(text);
            } else {
                ScriptExchange.checkHeaderValue(header, text);
            }
            return text;
        }
    }
}
