package io.zkgate.gateway.scripting;

import java.util.concurrent.atomic.LongAdder;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.lib.OneArgFunction;
import org.slf4j.LoggerFactory;

/**
 * What outlives the versions of one script name: failure counters and the rate-limited logs of its {@code log}
 * function and of its failures. Thread-safe.
 */
public final class ScriptStats {
    /** Lines per second a script may log through {@code log(msg)}. */
    static final int LOG_LINES_PER_SECOND = 10;
    /** Failure lines per second per script; the counters see every failure. */
    static final int FAILURE_LINES_PER_SECOND = 2;
    /** Longer log messages are cut. */
    static final int MAX_LINE = 2000;

    private final String name;
    private final LongAdder failures = new LongAdder();
    private final LongAdder limitsExceeded = new LongAdder();
    private final RateLimitedLog scriptLog;
    private final RateLimitedLog failureLog;
    private final LuaValue logFunction;

    ScriptStats(String name) {
        this.name = name;
        this.scriptLog = new RateLimitedLog(LoggerFactory.getLogger("io.zkgate.script." + name), LOG_LINES_PER_SECOND);
        this.failureLog = new RateLimitedLog(LoggerFactory.getLogger(ScriptStats.class), FAILURE_LINES_PER_SECOND);
        this.logFunction = new Log(scriptLog);
    }

    public String name() {
        return name;
    }

    /** Calls that ended in a 500 script_error: runtime errors, limits exceeded, and the script being unavailable. */
    public long failures() {
        return failures.sum();
    }

    /** The part of {@link #failures()} that a limit stopped (instructions, call depth, string size). */
    public long limitsExceeded() {
        return limitsExceeded.sum();
    }

    void failed(boolean limit, String route, String message) {
        failures.increment();
        if (limit) {
            limitsExceeded.increment();
        }
        failureLog.warn("script " + name + " failed on route " + route + ": " + message);
    }

    /** The script's {@code log(msg)}: one shared, stateless function object. */
    LuaValue logFunction() {
        return logFunction;
    }

    /** {@code log(msg)}: through SLF4J, logger {@code io.zkgate.script.<name>}, rate-limited. */
    private static final class Log extends OneArgFunction {
        private final RateLimitedLog log;

        Log(RateLimitedLog log) {
            this.log = log;
        }

        @Override
        public LuaValue call(LuaValue message) {
            String text = message.tojstring();
            log.info(text.length() > MAX_LINE ? text.substring(0, MAX_LINE) + "..." : text);
            return NONE;
        }
    }
}
