package io.zkgate.gateway.scripting;

import java.io.ByteArrayOutputStream;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;
import org.luaj.vm2.lib.VarArgFunction;

/**
 * The library functions that build strings or result lists, wrapped (or, for {@code table.concat}, rewritten) so
 * that they account for what they build in the calling thread's {@link Budget}: a result that would go over the
 * string limit is refused before it is built where its size can be bounded beforehand, and charged after otherwise.
 * Thread-safe: the functions hold no state; each call charges the budget of the thread that runs it.
 */
final class ChargedFunctions {
    private ChargedFunctions() {}

    /**
     * {@code stock}, LuaJ's function of that name in the string or table library, made to charge the budget.
     *
     * @throws IllegalArgumentException for a name this class does not know how to charge
     */
    static LuaValue of(String name, LuaValue stock) {
        return switch (name) {
            case "char", "lower", "reverse", "upper" -> new Charged(stock, null, true);
            case "rep" -> new Charged(stock, args -> Budget.current().checkLength(repBound(args)), true);
            case "format" -> new Charged(stock, args -> Budget.current().checkLength(formatBound(args)), true);
            case "byte" -> new Charged(stock, ChargedFunctions::chargeBytes, false);
            case "unpack" -> new Charged(stock, ChargedFunctions::chargeUnpacked, false);
            case "gsub" -> new Gsub(stock);
            case "concat" -> new Concat();
            default -> throw new IllegalArgumentException("no charging for " + name);
        };
    }

    /** What a wrapped function checks or charges before it runs. */
    private interface Check {
        void before(Varargs args);
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

    /** string.byte(s, i, j) returns one value per byte. */
    private static void chargeBytes(Varargs args) {
        int len = args.checkstring(1).length();
        int i = args.optint(2, 1);
        int j = args.optint(3, i);
        long from = i < 0 ? Math.max(len + i + 1, 1) : Math.max(i, 1);
        long to = j < 0 ? len + j + 1L : Math.min(j, len);
        if (to >= from) {
            Budget.current().chargeResults(to - from + 1);
        }
    }

    /** table.unpack(list [, i [, j]]) allocates one slot per result before reading any. */
    private static void chargeUnpacked(Varargs args) {
        LuaTable list = args.checktable(1);
        long i = args.optint(2, 1);
        long j = args.isnoneornil(3) ? list.length() : args.checkint(3);
        if (j >= i) {
            Budget.current().chargeResults(j - i + 1);
        }
    }

    /** Runs its check (if any) first, then the stock function, then charges a string result if asked to. */
    private static final class Charged extends VarArgFunction {
        private final LuaValue delegate;
        private final Check check;
        private final boolean chargeResult;

        Charged(LuaValue delegate, Check check, boolean chargeResult) {
            this.delegate = delegate;
            this.check = check;
            this.chargeResult = chargeResult;
        }

        @Override
        public Varargs invoke(Varargs args) {
            if (check != null) {
                check.before(args);
            }
            Varargs result = delegate.invoke(args);
            if (chargeResult && result.arg1() instanceof LuaString s) {
                Budget.current().charge(s.length());
            }
            return result;
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
            ByteArrayOutputStream out = new ByteArrayOutputStream();
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
}
