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
import org.luaj.vm2.lib.jse.JseMathLib;

/**
 * Builds the Lua environment scripts run in: the base library without {@code dofile}, {@code loadfile}, {@code load},
 * {@code print} and {@code collectgarbage}, and the string, table and math libraries; no io, os, luajava, debug,
 * package/require or coroutine. Library functions that build strings or result lists are replaced by
 * {@link ChargedFunctions}, which account for what they build in the thread's {@link Budget}.
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
        for (String name : new String[] {"byte", "char", "format", "gsub", "lower", "rep", "reverse", "upper"}) {
            safe.rawset(name, ChargedFunctions.of(name, stock.rawget(name)));
        }
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
        for (String name : new String[] {"concat", "unpack"}) {
            table.rawset(name, ChargedFunctions.of(name, table.rawget(name)));
        }
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
}
