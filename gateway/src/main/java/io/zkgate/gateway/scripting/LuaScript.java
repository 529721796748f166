package io.zkgate.gateway.scripting;

import io.zkgate.gateway.routing.ResponseView;
import io.zkgate.schema.ScriptCheck;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.Prototype;

/**
 * One version of a script, compiled once when its znode changed, and run on one Lua state per thread.
 *
 * <p>No two requests share a Lua state: each thread that runs the script builds its own state on first use
 * (running the script's top level there), so a script's top-level tables, local or global, are per state and thus
 * per thread. A state that went over a limit or overflowed the stack is dropped and rebuilt on the next request;
 * one that raised an ordinary Lua error is kept. States of a replaced version are dropped with the version.
 *
 * <p>Thread-safe: immutable, plus a {@link ThreadLocal} of thread-confined states and thread-safe stats.
 */
public final class LuaScript {
    private static final int MAX_MESSAGE = 400;

    private final String name;
    private final int version;
    private final Prototype prototype;
    private final int instructionLimit;
    private final ScriptStats stats;
    private final boolean hasOnResponse;
    private final ThreadLocal<LuaState> states = new ThreadLocal<>();

    private LuaScript(String name, int version, Prototype prototype, int instructionLimit, ScriptStats stats,
            boolean hasOnResponse) {
        this.name = name;
        this.version = version;
        this.prototype = prototype;
        this.instructionLimit = instructionLimit;
        this.stats = stats;
        this.hasOnResponse = hasOnResponse;
    }

    /**
     * Checks {@code source} with {@link ScriptCheck}, the check {@code zkgate-ctl scripts put} runs (compiles,
     * defines {@code on_request}), and runs its top level once on the calling thread, so that a script that cannot
     * serve is refused here rather than on every request.
     *
     * @param name             the script's name, used as its chunk name in error messages
     * @param version          the znode version the source came from
     * @param instructionLimit instructions each call (and the top level) may run
     */
    public static LuaScript compile(String name, int version, byte[] source, int instructionLimit, ScriptStats stats)
            throws ScriptCompileException {
        Prototype p;
        try {
            p = ScriptCheck.compile(name, source).prototype();
        } catch (ScriptCheck.ScriptException e) {
            int line = e.failure().line();
            throw new ScriptCompileException(line > 0 ? line : -1, e.failure().reason());
        }
        LuaState trial;
        try {
            trial = LuaState.create(p, instructionLimit, stats.logFunction());
        } catch (LuaError e) {
            throw ScriptCompileException.of("top level: ", e.getMessage());
        } catch (ScriptLimitError e) {
            throw new ScriptCompileException(-1, "top level: " + e.getMessage());
        } catch (StackOverflowError e) {
            throw new ScriptCompileException(-1, "top level: stack overflow");
        }
        return new LuaScript(name, version, p, instructionLimit, stats, trial.hasOnResponse());
    }

    public String name() {
        return name;
    }

    public int version() {
        return version;
    }

    public int instructionLimit() {
        return instructionLimit;
    }

    public boolean hasOnResponse() {
        return hasOnResponse;
    }

    /** Runs on_request; the outcome, failure included, is left in {@code x}. */
    void onRequest(ScriptExchange x) {
        LuaState state = states.get();
        try {
            if (state == null) {
                state = LuaState.create(prototype, instructionLimit, stats.logFunction());
                states.set(state);
            }
            state.onRequest(x);
        } catch (RuntimeException | ScriptLimitError | StackOverflowError e) {
            failed(x, e);
        }
    }

    /** Runs on_response; false when it failed, with the reason in {@code x}. */
    boolean onResponse(ScriptExchange x, ResponseView response, int status) {
        LuaState state = states.get();
        try {
            if (state == null) {
                state = LuaState.create(prototype, instructionLimit, stats.logFunction());
                states.set(state);
            }
            state.onResponse(x, response, status);
            return true;
        } catch (RuntimeException | ScriptLimitError | StackOverflowError e) {
            failed(x, e);
        }
        return false;
    }

    private void failed(ScriptExchange x, Throwable e) {
        boolean limit = e instanceof ScriptLimitError || e instanceof StackOverflowError;
        String detail;
        if (e instanceof LuaError) {
            detail = clean(e.getMessage());
        } else if (e instanceof StackOverflowError) {
            detail = "stack overflow";
        } else if (e instanceof ScriptLimitError) {
            detail = e.getMessage();
        } else {
            detail = "internal error: " + e;
        }
        if (!(e instanceof LuaError)) {
            states.remove(); // its Lua state may be half-updated: the next request builds a fresh one
        }
        stats.failed(limit, x.binding().routeId(), detail);
        x.fail("script '" + name + "' " + (limit ? "stopped: " : "failed: ") + detail);
    }

    /** One line, without the empty traceback LuaJ appends, not too long for a log line or a JSON body. */
    static String clean(String message) {
        if (message == null) {
            return "error (no message)";
        }
        String m = message.strip().replace('\n', ' ').replace('\r', ' ').replace('\t', ' ');
        return m.length() > MAX_MESSAGE ? m.substring(0, MAX_MESSAGE) + "..." : m;
    }

    @Override
    public String toString() {
        return name + " v" + version;
    }
}
