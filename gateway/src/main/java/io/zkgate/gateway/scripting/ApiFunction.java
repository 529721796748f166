package io.zkgate.gateway.scripting;

import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;
import org.luaj.vm2.lib.LibFunction;

/**
 * A function of the {@code req} or {@code res} table, callable as {@code req.f(a)} and as {@code req:f(a)}: a first
 * argument that is the table itself is dropped, arguments past the function's arity are ignored and missing ones are
 * nil. What it does is a lambda of one, two or three arguments, made once per Lua state, so a call allocates nothing
 * here. Immutable.
 */
final class ApiFunction extends LibFunction {
    interface One {
        LuaValue apply(LuaValue a);
    }

    interface Two {
        LuaValue apply(LuaValue a, LuaValue b);
    }

    interface Three {
        LuaValue apply(LuaValue a, LuaValue b, LuaValue c);
    }

    private final LuaTable self;
    private final int arity;
    private final One one;
    private final Two two;
    private final Three three;

    private ApiFunction(LuaTable self, int arity, One one, Two two, Three three) {
        this.self = self;
        this.arity = arity;
        this.one = one;
        this.two = two;
        this.three = three;
    }

    static ApiFunction of(LuaTable self, One f) {
        return new ApiFunction(self, 1, f, null, null);
    }

    static ApiFunction of(LuaTable self, Two f) {
        return new ApiFunction(self, 2, null, f, null);
    }

    static ApiFunction of(LuaTable self, Three f) {
        return new ApiFunction(self, 3, null, null, f);
    }

    private LuaValue apply(LuaValue a, LuaValue b, LuaValue c) {
        return switch (arity) {
            case 1 -> one.apply(a);
            case 2 -> two.apply(a, b);
            default -> three.apply(a, b, c);
        };
    }

    @Override
    public LuaValue call() {
        return apply(NIL, NIL, NIL);
    }

    @Override
    public LuaValue call(LuaValue a) {
        return a == self ? apply(NIL, NIL, NIL) : apply(a, NIL, NIL);
    }

    @Override
    public LuaValue call(LuaValue a, LuaValue b) {
        return a == self ? apply(b, NIL, NIL) : apply(a, b, NIL);
    }

    @Override
    public LuaValue call(LuaValue a, LuaValue b, LuaValue c) {
        return a == self ? apply(b, c, NIL) : apply(a, b, c);
    }

    @Override
    public Varargs invoke(Varargs v) {
        Varargs args = v.arg1() == self ? v.subargs(2) : v;
        return apply(args.arg(1), args.arg(2), args.arg(3));
    }
}
