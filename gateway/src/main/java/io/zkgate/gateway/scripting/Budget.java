package io.zkgate.gateway.scripting;

import org.luaj.vm2.Lua;
import org.luaj.vm2.LuaClosure;
import org.luaj.vm2.LuaFunction;
import org.luaj.vm2.LuaNumber;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;
import org.luaj.vm2.lib.DebugLib;

/**
 * The limits of one script call, enforced from inside the interpreter.
 *
 * <p>LuaJ calls a {@code Globals}' debug library before every instruction and on every call and return; that is the
 * only place a running chunk can be stopped. This subclass takes the debug library's place without ever exposing a
 * {@code debug} table, and replaces its bookkeeping (a synchronized call stack per instruction) with three
 * counters: instructions left, call depth, and bytes of strings built. It also looks at every concatenation before
 * it runs, so a string over the size cap is never built. Going over any limit throws {@link ScriptLimitError},
 * which {@code pcall} cannot catch; the budget then stays tripped, so a message handler that swallowed the error
 * fails again at its next instruction.
 *
 * <p>One budget per thread, shared by every Lua state that thread runs (a thread runs one call at a time), reset by
 * {@link #start(int)}. Confined to its thread.
 */
final class Budget extends DebugLib {
    private static final ThreadLocal<Budget> CURRENT = ThreadLocal.withInitial(Budget::new);

    /** Lua calls may nest this deep; far below what the Java stack of a request thread holds. */
    static final int MAX_DEPTH = 200;
    /** The longest string a script may build. */
    static final int MAX_STRING = 1 << 20;
    /** Bytes of strings (and result lists) a script may build in one call, the rough bound on its memory use. */
    static final long MAX_BUILT_BYTES = 16L << 20;

    private final int[][] codes = new int[MAX_DEPTH][];
    private final LuaValue[][] stacks = new LuaValue[MAX_DEPTH][];
    private int depth;
    private int highWater;
    private int[] code;
    private LuaValue[] stack;
    private int limit;
    private int remaining;
    private long built;
    private String tripped;

    private Budget() {
        stop();
    }

    /** The budget of the calling thread. */
    static Budget current() {
        return CURRENT.get();
    }

    /** Starts a call with {@code instructions} instructions to spend. */
    void start(int instructions) {
        limit = instructions;
        remaining = instructions;
        built = 0;
        tripped = null;
        depth = 0;
        code = null;
        stack = null;
    }

    /** Ends a call; Lua code run outside a call fails at once. */
    void stop() {
        for (int i = 0; i < highWater; i++) {
            stacks[i] = null;
            codes[i] = null;
        }
        highWater = 0;
        depth = 0;
        code = null;
        stack = null;
        remaining = -1;
        tripped = "Lua code ran outside a script call";
    }

    /** Instructions spent so far in this call. */
    int used() {
        return limit - Math.max(remaining, 0);
    }

    /**
     * Accounts for a string (or list of results) of {@code bytes} about to be built; throws if it is larger than
     * {@link #MAX_STRING} or if the call built more than {@link #MAX_BUILT_BYTES} in all.
     */
    void charge(long bytes) {
        if (bytes > MAX_STRING) {
            throw trip("string of " + bytes + " bytes exceeds the limit of " + MAX_STRING + " bytes");
        }
        built += bytes;
        if (built > MAX_BUILT_BYTES) {
            throw trip("script built more than " + MAX_BUILT_BYTES + " bytes of strings in one call");
        }
    }

    /** Accounts for a list of {@code n} results about to be built (one reference each). */
    void chargeResults(long n) {
        built += 8 * n;
        if (built > MAX_BUILT_BYTES) {
            throw trip("script built more than " + MAX_BUILT_BYTES + " bytes of strings and result lists in one call");
        }
    }

    /** The bound a library function computed before building its result; like {@link #charge} for one value. */
    void checkLength(long bytes) {
        if (bytes > MAX_STRING) {
            throw trip("string of up to " + bytes + " bytes exceeds the limit of " + MAX_STRING + " bytes");
        }
    }

    @Override
    public void onCall(LuaFunction f) {
        push(null, null);
    }

    @Override
    public void onCall(LuaClosure c, Varargs varargs, LuaValue[] frame) {
        push(c.p.code, frame);
    }

    @Override
    public void onReturn() {
        if (depth > 0) {
            int d = --depth;
            codes[d] = null;
            stacks[d] = null;
            code = d > 0 ? codes[d - 1] : null;
            stack = d > 0 ? stacks[d - 1] : null;
        }
    }

    @Override
    public void onInstruction(int pc, Varargs v, int top) {
        if (--remaining < 0) {
            throw trip("instruction limit of " + limit + " exceeded");
        }
        int i = code[pc];
        if ((i & 0x3f) == Lua.OP_CONCAT) {
            concat(i);
        }
    }

    /** No call stack is kept, so there is no traceback; LuaJ appends this to error messages. */
    @Override
    public String traceback(int level) {
        return "";
    }

    private void push(int[] c, LuaValue[] frame) {
        if (tripped != null) {
            throw new ScriptLimitError(tripped);
        }
        if (depth >= MAX_DEPTH) {
            throw trip("call depth exceeds " + MAX_DEPTH + " (runaway recursion?)");
        }
        codes[depth] = c;
        stacks[depth] = frame;
        if (++depth > highWater) {
            highWater = depth;
        }
        code = c;
        stack = frame;
    }

    /** {@code R(A) := R(B) .. ... .. R(C)}: sums the operands before the interpreter joins them. */
    private void concat(int instruction) {
        int b = instruction >>> 23;
        int c = (instruction >> 14) & 0x1ff;
        long n = 0;
        for (int r = b; r <= c; r++) {
            LuaValue v = stack[r];
            if (v instanceof LuaString s) {
                n += s.m_length;
            } else if (v instanceof LuaNumber) {
                n += 24;
            } else {
                return; // a __concat metamethod runs as code of its own, and is counted there
            }
        }
        charge(n);
    }

    private ScriptLimitError trip(String reason) {
        if (tripped == null) {
            tripped = reason;
        }
        remaining = -1;
        return new ScriptLimitError(tripped);
    }
}
