package io.zkgate.gateway.scripting;

import java.util.ArrayList;
import java.util.List;
import org.luaj.vm2.Globals;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;
import org.luaj.vm2.lib.BaseLib;
import org.luaj.vm2.lib.StringLib;
import org.luaj.vm2.lib.TableLib;
import org.luaj.vm2.lib.ThreeArgFunction;
import org.luaj.vm2.lib.VarArgFunction;
import org.luaj.vm2.lib.jse.JseMathLib;

/**
 * Builds the Lua environment scripts run in: the base library without {@code dofile}, {@code loadfile}, {@code load},
 * {@code print} and {@code collectgarbage}, and the string, table and math libraries; no io, os, luajava, debug,
 * package/require or coroutine. Library functions that build strings or result lists are wrapped so that they
 * account for what they build in the thread's {@link Budget}.
 *
 * <p>Globals and the library tables are <em>sealed proxies</em>: empty tables whose metatable reads through to the
 * real contents. While the script's top level runs, assignments go through to the contents; after that
 * ({@link Env#seal()}) an assignment is an error, and anything stored with {@code rawset} lands in the empty proxy
 * and is wiped after every call ({@link Env#scrub()}). So no request can leave a global behind for the next one.
 *
 * <p>LuaJ keeps the metatable of all strings in one JVM-wide static, which its string library fills with the
 * mutable {@code string} table of the first {@code Globals} created. This class installs, once and before any
 * script runs, a metatable of its own whose {@code __index} table no script can reach ({@code __metatable} hides
 * it), so {@code ("x"):upper()} always calls the real function whatever a script did to its {@code string} table.
 *
 * <p>Thread-safe: the shared tables are built in the class initializer and never change; an {@link Env} is
 * confined to the thread that uses it.
 */
final class Sandbox {
    static final LuaString LOCKED = LuaValue.valueOf("locked");
    private static final String[] REMOVED_GLOBALS = {
            "dofile", "loadfile", "load", "print", "collectgarbage", "package", "require", "module"};

    /** The string functions, shared by all states; reachable from scripts only through a sealed proxy. */
    private static final LuaTable STRING_FUNCTIONS;

    static {
        Globals scratch = new Globals();
        scratch.rawset("package", packageTable());
        LuaTable stock = (LuaTable) new StringLib().call(LuaValue.EMPTYSTRING, scratch);
        LuaTable safe = new LuaTable();
        for (String name : new String[] {"find", "gmatch", "len", "match", "sub"}) {
            safe.rawset(name, stock.rawget(name));
        }
        for (String name : new String[] {"char", "lower", "reverse", "upper"}) {
            safe.rawset(name, new Charged(stock.rawget(name), null));
        }
        safe.rawset("rep", new Charged(stock.rawget("rep"), Sandbox::repBound));
        safe.rawset("format", new Charged(stock.rawget("format"), Sandbox::formatBound));
        safe.rawset("byte", new Bytes(stock.rawget("byte")));
        safe.rawset("gsub", new Gsub(stock.rawget("gsub")));
        // string.dump is left out: with no load() it is useless, and bytecode is not for scripts.
        STRING_FUNCTIONS = safe;
        LuaTable mt = new LuaTable();
        mt.rawset(LuaValue.INDEX, STRING_FUNCTIONS);
        mt.rawset(LuaValue.METATABLE, LOCKED);
        LuaString.s_metatable = mt;
    }

    private Sandbox() {}

    /**
     * A fresh environment whose instructions and strings are charged to {@code budget}.
     *
     * @param log the script's {@code log} function
     */
    static Env newEnv(Budget budget, LuaValue log) {
        SealedGlobals g = new SealedGlobals();
        g.rawset("package", packageTable());
        g.load(new BaseLib());
        g.load(new TableLib());
        g.load(new JseMathLib());
        g.debuglib = budget;
        g.STDIN = null;

        LuaTable contents = new LuaTable();
        for (Varargs e = g.next(LuaValue.NIL); !e.arg1().isnil(); e = g.next(e.arg1())) {
            contents.rawset(e.arg1(), e.arg(2));
        }
        clear(g);
        for (String name : REMOVED_GLOBALS) {
            contents.rawset(name, LuaValue.NIL);
        }
        Env env = new Env(g);
        LuaTable table = copy((LuaTable) contents.rawget("table"));
        table.rawset("concat", new Concat());
        table.rawset("unpack", new Unpack(table.rawget("unpack")));
        contents.rawset("string", env.proxy(new SealedTable(), copy(STRING_FUNCTIONS), "string"));
        contents.rawset("table", env.proxy(new SealedTable(), table, "table"));
        contents.rawset("math", env.proxy(new SealedTable(), copy((LuaTable) contents.rawget("math")), "math"));
        contents.rawset("log", log);
        contents.rawset("_G", g);
        env.proxy(g, contents, "_G");
        return env;
    }

    /**
     * A script's environment: its globals and library tables as sealed proxies. Confined to one thread.
     */
    static final class Env {
        final Globals globals;
        private final List<Sealed> proxies = new ArrayList<>(4);
        private final List<LuaTable> contents = new ArrayList<>(4);
        private boolean sealed;

        private Env(Globals globals) {
            this.globals = globals;
        }

        /** A global as the script's top level left it. */
        LuaValue global(String name) {
            return globals.get(name);
        }

        /** Ends the setup: moves what the top level stored with rawset into the contents, then forbids assignment. */
        void seal() {
            for (int i = 0; i < proxies.size(); i++) {
                LuaTable proxy = (LuaTable) proxies.get(i);
                for (Varargs e = proxy.next(LuaValue.NIL); !e.arg1().isnil(); e = proxy.next(e.arg1())) {
                    contents.get(i).rawset(e.arg1(), e.arg(2));
                }
                clear(proxy);
            }
            sealed = true;
        }

        /** Wipes whatever a call stored with rawset (or table.insert); costs one field read per proxy otherwise. */
        void scrub() {
            for (int i = 0, n = proxies.size(); i < n; i++) {
                Sealed proxy = proxies.get(i);
                if (!proxy.isEmpty()) {
                    clear((LuaTable) proxy);
                }
            }
        }

        private <T extends LuaTable & Sealed> T proxy(T proxy, LuaTable backing, String label) {
            LuaTable mt = new LuaTable();
            mt.rawset(LuaValue.INDEX, backing);
            mt.rawset(LuaValue.NEWINDEX, new Guard(this, backing, label));
            mt.rawset(LuaValue.METATABLE, LOCKED);
            proxy.setmetatable(mt);
            proxies.add(proxy);
            contents.add(backing);
            return proxy;
        }
    }

    /** A table that tells in constant time whether anything is stored in it. */
    interface Sealed {
        boolean isEmpty();
    }

    /** An empty table whose metatable does the work; see {@link Sealed}. Confined to its state's thread. */
    static final class SealedTable extends LuaTable implements Sealed {
        @Override
        public boolean isEmpty() {
            return hashEntries == 0 && allNull(array);
        }
    }

    /** The globals of a state; LuaJ needs a {@link Globals} as the chunk's environment. Confined like the state. */
    static final class SealedGlobals extends Globals implements Sealed {
        @Override
        public boolean isEmpty() {
            return hashEntries == 0 && allNull(array);
        }
    }

    private static boolean allNull(LuaValue[] values) {
        for (LuaValue v : values) {
            if (v != null) {
                return false;
            }
        }
        return true;
    }

    /** {@code __newindex} of a sealed proxy: writes through during setup, refuses afterwards. */
    private static final class Guard extends ThreeArgFunction {
        private final Env env;
        private final LuaTable backing;
        private final String label;

        Guard(Env env, LuaTable backing, String label) {
            this.env = env;
            this.backing = backing;
            this.label = label;
        }

        @Override
        public LuaValue call(LuaValue table, LuaValue key, LuaValue value) {
            if (!env.sealed) {
                backing.rawset(key, value);
                return NONE;
            }
            String what = label.equals("_G") ? "global '" + key.tojstring() + "'" : label + "." + key.tojstring();
            throw new LuaError("cannot assign " + what + " while serving a request (use a local, or assign it at the "
                    + "top level of the script)");
        }
    }

    static void clear(LuaTable t) {
        List<LuaValue> keys = new ArrayList<>();
        for (Varargs e = t.next(LuaValue.NIL); !e.arg1().isnil(); e = t.next(e.arg1())) {
            keys.add(e.arg1());
        }
        for (LuaValue k : keys) {
            t.rawset(k, LuaValue.NIL);
        }
    }

    private static LuaTable copy(LuaTable from) {
        LuaTable to = new LuaTable();
        for (Varargs e = from.next(LuaValue.NIL); !e.arg1().isnil(); e = from.next(e.arg1())) {
            to.rawset(e.arg1(), e.arg(2));
        }
        return to;
    }

    private static LuaTable packageTable() {
        LuaTable pkg = new LuaTable();
        pkg.rawset("loaded", new LuaTable());
        return pkg;
    }

    // ---- library functions that account for what they build --------------------------------------------------

    /** Upper bound of a result's length, computed before the result is built. */
    private interface Bound {
        long of(Varargs args);
    }

    /** string.rep(s, n): exactly len(s) * n. */
    private static long repBound(Varargs args) {
        return (long) args.checkstring(1).length() * Math.max(0, args.checkint(2));
    }

    /**
     * string.format: a conversion's width and precision have at most two digits each, so a format item yields at
     * most a few hundred bytes plus its string argument (twice that for %q).
     */
    private static long formatBound(Varargs args) {
        long n = 64L * args.checkstring(1).length();
        for (int i = 2; i <= args.narg(); i++) {
            if (args.arg(i) instanceof LuaString s) {
                n += 2L * s.length() + 2;
            }
        }
        return n;
    }

    /** Checks the bound (if any) first, then charges the actual result. */
    private static final class Charged extends VarArgFunction {
        private final LuaValue delegate;
        private final Bound bound;

        Charged(LuaValue delegate, Bound bound) {
            this.delegate = delegate;
            this.bound = bound;
        }

        @Override
        public Varargs invoke(Varargs args) {
            Budget budget = Budget.current();
            if (bound != null) {
                budget.checkLength(bound.of(args));
            }
            Varargs result = delegate.invoke(args);
            if (result.arg1() instanceof LuaString s) {
                budget.charge(s.length());
            }
            return result;
        }
    }

    /** string.byte(s, i, j) returns one value per byte. */
    private static final class Bytes extends VarArgFunction {
        private final LuaValue delegate;

        Bytes(LuaValue delegate) {
            this.delegate = delegate;
        }

        @Override
        public Varargs invoke(Varargs args) {
            int len = args.checkstring(1).length();
            int i = args.optint(2, 1);
            int j = args.optint(3, i);
            long from = i < 0 ? Math.max(len + i + 1, 1) : Math.max(i, 1);
            long to = j < 0 ? len + j + 1L : Math.min(j, len);
            if (to >= from) {
                Budget.current().chargeResults(to - from + 1);
            }
            return delegate.invoke(args);
        }
    }

    /**
     * string.gsub: with a string replacement, the result is at most the subject, plus the replacement per match,
     * plus the subject again per capture reference in the replacement (matches do not overlap). With a function or
     * table, each replacement value is counted as it comes back, so a runaway stops after the first value too many.
     */
    private static final class Gsub extends VarArgFunction {
        private final LuaValue delegate;

        Gsub(LuaValue delegate) {
            this.delegate = delegate;
        }

        @Override
        public Varargs invoke(Varargs args) {
            LuaString subject = args.checkstring(1);
            args.checkstring(2);
            LuaValue repl = args.arg(3);
            Budget budget = Budget.current();
            long len = subject.length();
            Varargs result;
            if (repl.isstring()) {
                LuaString r = repl.strvalue();
                long matches = args.isnoneornil(4) ? len + 1 : Math.max(0, Math.min(len + 1, args.checkint(4)));
                long refs = 0;
                for (int i = 0; i + 1 < r.length(); i++) {
                    if (r.luaByte(i) == '%') {
                        if (Character.isDigit(r.luaByte(i + 1))) {
                            refs++;
                        }
                        i++;
                    }
                }
                budget.checkLength(len + matches * r.length() + refs * len);
                result = delegate.invoke(args);
            } else if (repl.isfunction() || repl.istable()) {
                Counting counting = new Counting(repl, budget, len);
                result = delegate.invoke(LuaValue.varargsOf(new LuaValue[] {subject, args.arg(2), counting},
                        args.subargs(4)));
            } else {
                result = delegate.invoke(args);
            }
            if (result.arg1() instanceof LuaString s) {
                budget.charge(s.length());
            }
            return result;
        }
    }

    /** Stands in for a gsub replacement function or table, adding up the lengths of the values it returns. */
    private static final class Counting extends VarArgFunction {
        private final LuaValue repl;
        private final Budget budget;
        private long total;

        Counting(LuaValue repl, Budget budget, long subjectLength) {
            this.repl = repl;
            this.budget = budget;
            this.total = subjectLength;
        }

        @Override
        public Varargs invoke(Varargs captures) {
            LuaValue v = repl.istable() ? repl.get(captures.arg1()) : repl.invoke(captures).arg1();
            if (v instanceof LuaString s) {
                total += s.length();
            } else if (v.isnumber()) {
                total += 24;
            }
            budget.checkLength(total);
            return v;
        }
    }

    /**
     * table.concat(list [, sep [, i [, j]]]), written here rather than wrapped: LuaJ's version reads elements
     * through metamethods while it builds, so only building it ourselves can stop at the size cap.
     */
    private static final class Concat extends VarArgFunction {
        @Override
        public Varargs invoke(Varargs args) {
            LuaTable list = args.checktable(1);
            LuaString sep = args.isnoneornil(2) ? LuaValue.EMPTYSTRING : args.checkstring(2);
            int i = args.optint(3, 1);
            int j = args.isnoneornil(4) ? list.length() : args.checkint(4);
            Budget budget = Budget.current();
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            long size = 0;
            for (long k = i; k <= j; k++) {
                LuaValue v = list.get((int) k);
                if (!v.isstring()) {
                    throw new LuaError("invalid value (at index " + k + ") in table for 'concat'");
                }
                LuaString s = v.strvalue();
                size += s.length() + (k > i ? sep.length() : 0);
                budget.checkLength(size);
                if (k > i) {
                    out.write(sep.m_bytes, sep.m_offset, sep.m_length);
                }
                out.write(s.m_bytes, s.m_offset, s.m_length);
            }
            budget.charge(size);
            return LuaString.valueUsing(out.toByteArray());
        }
    }

    /** table.unpack(list [, i [, j]]) allocates one slot per result before reading any. */
    private static final class Unpack extends VarArgFunction {
        private final LuaValue delegate;

        Unpack(LuaValue delegate) {
            this.delegate = delegate;
        }

        @Override
        public Varargs invoke(Varargs args) {
            LuaTable list = args.checktable(1);
            long i = args.optint(2, 1);
            long j = args.isnoneornil(3) ? list.length() : args.checkint(3);
            if (j >= i) {
                Budget.current().chargeResults(j - i + 1);
            }
            return delegate.invoke(args);
        }
    }
}
