package io.zkgate.gateway.scripting;

import io.zkgate.gateway.routing.ResponseView;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.luaj.vm2.LuaClosure;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Prototype;
import org.luaj.vm2.Varargs;
import org.luaj.vm2.lib.LibFunction;
import org.luaj.vm2.lib.ThreeArgFunction;
import org.luaj.vm2.lib.TwoArgFunction;

/**
 * One script version's Lua state on one thread: its sandboxed globals after the top level ran, its
 * {@code on_request} and {@code on_response}, and the {@code req} and {@code res} tables handed to them.
 *
 * <p>The two tables and their functions are built once per state and read the request being served from
 * {@link #current}, so a call allocates no Lua closures and no tables. Both tables are empty with a locked
 * metatable: fields are computed when read, assignments are refused, and anything stored with {@code rawset} is
 * wiped after each call. Confined to the thread that created it.
 */
final class LuaState {
    private static final LuaTable REQ_FIELDS = codes("method", "path", "query", "client_ip", "route", "service");
    private static final LuaTable RES_FIELDS = codes("status");
    private static final LuaString GET = LuaValue.valueOf("GET");
    private static final LuaString POST = LuaValue.valueOf("POST");
    private static final LuaString PUT = LuaValue.valueOf("PUT");
    private static final LuaString DELETE = LuaValue.valueOf("DELETE");
    private static final LuaString HEAD = LuaValue.valueOf("HEAD");

    private final Budget budget;
    private final Sandbox.Env env;
    private final int instructionLimit;
    private final LuaValue onRequest;
    private final LuaValue onResponse;
    private final Sandbox.SealedTable req = new Sandbox.SealedTable();
    private final Sandbox.SealedTable res = new Sandbox.SealedTable();
    /** Header names and values the script passed, converted and checked once: scripts mostly pass constants. */
    private final TextCache names = new TextCache(true);
    private final TextCache values = new TextCache(false);

    private ScriptExchange current;
    private ResponseView response;
    private int status;

    private LuaState(Budget budget, Sandbox.Env env, int instructionLimit, LuaValue onRequest, LuaValue onResponse) {
        this.budget = budget;
        this.env = env;
        this.instructionLimit = instructionLimit;
        this.onRequest = onRequest;
        this.onResponse = onResponse;
        LuaTable reqMethods = new LuaTable();
        reqMethods.rawset("header", new Header());
        reqMethods.rawset("query_param", new QueryParam());
        reqMethods.rawset("set_header", new SetHeader());
        reqMethods.rawset("remove_header", new RemoveHeader());
        reqMethods.rawset("set_path", new SetPath());
        reqMethods.rawset("set_hash_key", new SetHashKey());
        reqMethods.rawset("respond", new Respond());
        seal(req, new ReqIndex(reqMethods), "req");
        LuaTable resMethods = new LuaTable();
        resMethods.rawset("header", new ResHeader());
        resMethods.rawset("set_header", new ResSetHeader());
        resMethods.rawset("remove_header", new ResRemoveHeader());
        seal(res, new ResIndex(resMethods), "res");
    }

    /**
     * Runs the script's top level in a fresh sandbox on the calling thread and checks what it defined.
     *
     * @throws LuaError           the top level failed, or on_request/on_response are not functions
     * @throws ScriptLimitError   the top level went over a limit
     */
    static LuaState create(Prototype prototype, int instructionLimit, LuaValue log) {
        Budget budget = Budget.current();
        Sandbox.Env env = Sandbox.newEnv(budget, log);
        LuaClosure main = new LuaClosure(prototype, env.globals);
        budget.start(instructionLimit);
        try {
            main.call();
        } finally {
            budget.stop();
        }
        env.seal();
        LuaValue onRequest = env.global("on_request");
        if (!onRequest.isfunction()) {
            throw new LuaError("the script defines no function on_request(req) (on_request is "
                    + onRequest.typename() + ")");
        }
        LuaValue onResponse = env.global("on_response");
        if (!onResponse.isnil() && !onResponse.isfunction()) {
            throw new LuaError("on_response is a " + onResponse.typename() + ", not a function");
        }
        return new LuaState(budget, env, instructionLimit, onRequest, onResponse.isnil() ? null : onResponse);
    }

    boolean hasOnResponse() {
        return onResponse != null;
    }

    void onRequest(ScriptExchange x) {
        current = x;
        budget.start(instructionLimit);
        try {
            onRequest.call(req);
        } finally {
            budget.stop();
            x.requestDone = true;
            current = null;
            scrub();
        }
    }

    void onResponse(ScriptExchange x, ResponseView r, int s) {
        current = x;
        response = r;
        status = s;
        budget.start(instructionLimit);
        try {
            onResponse.call(req, res);
        } finally {
            budget.stop();
            current = null;
            response = null;
            scrub();
        }
    }

    private void scrub() {
        env.scrub();
        if (!req.isEmpty()) {
            Sandbox.clear(req);
        }
        if (!res.isEmpty()) {
            Sandbox.clear(res);
        }
    }

    private ScriptExchange exchange() {
        if (current == null) {
            throw new LuaError("req and res can only be used while a request is being served");
        }
        return current;
    }

    private ResponseView response() {
        exchange();
        if (response == null) {
            throw new LuaError("res is only available in on_response");
        }
        return response;
    }

    private static void seal(LuaTable table, LuaValue index, String label) {
        LuaTable mt = new LuaTable();
        mt.rawset(LuaValue.INDEX, index);
        mt.rawset(LuaValue.NEWINDEX, new ThreeArgFunction() {
            @Override
            public LuaValue call(LuaValue t, LuaValue key, LuaValue value) {
                throw new LuaError(label + " is read-only: cannot assign " + label + "." + key.tojstring()
                        + " (use a local)");
            }
        });
        mt.rawset(LuaValue.METATABLE, Sandbox.LOCKED);
        table.setmetatable(mt);
    }

    private static LuaTable codes(String... names) {
        LuaTable t = new LuaTable();
        for (int i = 0; i < names.length; i++) {
            t.rawset(names[i], LuaValue.valueOf(i + 1));
        }
        return t;
    }

    private static String string(String function, String what, LuaValue v) {
        if (v instanceof LuaString s) {
            return decode(s);
        }
        if (!v.isstring()) {
            throw new LuaError(function + ": " + what + " must be a string, got " + v.typename());
        }
        return v.tojstring();
    }

    /** The JDK's UTF-8 decoder has an intrinsic ASCII fast path; LuaJ's own goes byte by byte. */
    private static String decode(LuaString s) {
        return new String(s.m_bytes, s.m_offset, s.m_length, StandardCharsets.UTF_8);
    }

    private static LuaValue text(String s) {
        return s == null ? LuaValue.NIL : LuaString.valueUsing(s.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Converts Lua strings to checked header names or values, remembering recent ones by identity: a constant in the
     * script is the same LuaString on every call, so it is converted and checked once per state.
     */
    private static final class TextCache {
        private static final int SIZE = 32;
        private static final int MAX_CACHED = 256;
        private final boolean names;
        private final LuaString[] keys = new LuaString[SIZE];
        private final String[] texts = new String[SIZE];

        TextCache(boolean names) {
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

    private static LuaString methodName(String method) {
        return switch (method) {
            case "GET" -> GET;
            case "POST" -> POST;
            case "PUT" -> PUT;
            case "DELETE" -> DELETE;
            case "HEAD" -> HEAD;
            default -> LuaValue.valueOf(method);
        };
    }

    // ---- req -----------------------------------------------------------------------------------------------------

    /** Reads {@code req.<field>}: a function, or a request value computed on first read. */
    private final class ReqIndex extends TwoArgFunction {
        private final LuaTable methods;

        ReqIndex(LuaTable methods) {
            this.methods = methods;
        }

        @Override
        public LuaValue call(LuaValue table, LuaValue key) {
            LuaValue m = methods.rawget(key);
            if (!m.isnil()) {
                return m;
            }
            LuaValue code = REQ_FIELDS.rawget(key);
            if (code.isnil()) {
                return NIL;
            }
            ScriptExchange x = exchange();
            switch (code.toint()) {
                case 1:
                    if (x.method == null) {
                        x.method = methodName(x.requestMethod());
                    }
                    return x.method;
                case 2:
                    if (x.path == null) {
                        x.path = (LuaString) text(x.requestPath());
                    }
                    return x.path;
                case 3:
                    if (x.query == null) {
                        String q = x.requestQuery();
                        if (q == null) {
                            return NIL;
                        }
                        x.query = (LuaString) text(q);
                    }
                    return x.query;
                case 4:
                    if (x.clientIp == null) {
                        x.clientIp = (LuaString) text(x.clientAddress());
                    }
                    return x.clientIp;
                case 5:
                    return x.binding().routeIdValue();
                default:
                    return x.binding().serviceValue();
            }
        }
    }

    /**
     * A function of {@code req} or {@code res}, callable as {@code req.f(a)} and as {@code req:f(a)}: a first
     * argument that is the table itself is dropped.
     */
    private abstract class Api extends LibFunction {
        private final LuaTable self;

        Api(LuaTable self) {
            this.self = self;
        }

        abstract LuaValue apply(LuaValue a, LuaValue b, LuaValue c);

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

    private final class Header extends Api {
        Header() {
            super(req);
        }

        @Override
        LuaValue apply(LuaValue name, LuaValue b, LuaValue c) {
            return text(exchange().header(string("req.header", "name", name)));
        }
    }

    private final class QueryParam extends Api {
        QueryParam() {
            super(req);
        }

        @Override
        LuaValue apply(LuaValue name, LuaValue b, LuaValue c) {
            ScriptExchange x = exchange();
            return text(ScriptExchange.queryParam(x.requestQuery(), string("req.query_param", "name", name)));
        }
    }

    private final class SetHeader extends Api {
        SetHeader() {
            super(req);
        }

        @Override
        LuaValue apply(LuaValue name, LuaValue value, LuaValue c) {
            ScriptExchange x = exchange();
            String n = names.get("req.set_header", "name", name, null);
            x.editHeader(n, values.get("req.set_header", "value", value, n));
            return NONE;
        }
    }

    private final class RemoveHeader extends Api {
        RemoveHeader() {
            super(req);
        }

        @Override
        LuaValue apply(LuaValue name, LuaValue b, LuaValue c) {
            ScriptExchange x = exchange();
            x.editHeader(names.get("req.remove_header", "name", name, null), null);
            return NONE;
        }
    }

    private final class SetPath extends Api {
        SetPath() {
            super(req);
        }

        @Override
        LuaValue apply(LuaValue path, LuaValue b, LuaValue c) {
            exchange().setUpstreamPath(string("req.set_path", "path", path));
            return NONE;
        }
    }

    private final class SetHashKey extends Api {
        SetHashKey() {
            super(req);
        }

        @Override
        LuaValue apply(LuaValue key, LuaValue b, LuaValue c) {
            exchange().setHashKey(key.isnil() ? null : string("req.set_hash_key", "key", key));
            return NONE;
        }
    }

    /** {@code req.respond(status [, headers [, body]])}: answer without contacting a backend. */
    private final class Respond extends Api {
        Respond() {
            super(req);
        }

        @Override
        LuaValue apply(LuaValue status, LuaValue headers, LuaValue body) {
            ScriptExchange x = exchange();
            if (!status.isinttype() && !(status.isnumber() && status.todouble() == status.toint())) {
                throw new LuaError("req.respond: status must be an integer, got " + status.typename());
            }
            String[] pairs = null;
            if (!headers.isnil()) {
                if (!headers.istable()) {
                    throw new LuaError("req.respond: headers must be a table, got " + headers.typename());
                }
                List<String> list = new ArrayList<>();
                LuaTable t = (LuaTable) headers;
                for (Varargs e = t.next(NIL); !e.arg1().isnil(); e = t.next(e.arg1())) {
                    list.add(string("req.respond", "a header name", e.arg1()));
                    list.add(string("req.respond", "header " + e.arg1().tojstring(), e.arg(2)));
                }
                pairs = list.toArray(new String[0]);
            }
            LuaString bytes = null;
            if (!body.isnil()) {
                if (!body.isstring()) {
                    throw new LuaError("req.respond: body must be a string, got " + body.typename());
                }
                bytes = body.strvalue();
            }
            x.respond(status.toint(), pairs, bytes);
            return NONE;
        }
    }

    // ---- res -----------------------------------------------------------------------------------------------------

    private final class ResIndex extends TwoArgFunction {
        private final LuaTable methods;

        ResIndex(LuaTable methods) {
            this.methods = methods;
        }

        @Override
        public LuaValue call(LuaValue table, LuaValue key) {
            LuaValue m = methods.rawget(key);
            if (!m.isnil()) {
                return m;
            }
            if (RES_FIELDS.rawget(key).isnil()) {
                return NIL;
            }
            response();
            return LuaValue.valueOf(status);
        }
    }

    private final class ResHeader extends Api {
        ResHeader() {
            super(res);
        }

        @Override
        LuaValue apply(LuaValue name, LuaValue b, LuaValue c) {
            return text(response().header(string("res.header", "name", name)));
        }
    }

    private final class ResSetHeader extends Api {
        ResSetHeader() {
            super(res);
        }

        @Override
        LuaValue apply(LuaValue name, LuaValue value, LuaValue c) {
            ResponseView r = response();
            String n = names.get("res.set_header", "name", name, null);
            r.setHeader(n, values.get("res.set_header", "value", value, n));
            return NONE;
        }
    }

    private final class ResRemoveHeader extends Api {
        ResRemoveHeader() {
            super(res);
        }

        @Override
        LuaValue apply(LuaValue name, LuaValue b, LuaValue c) {
            ResponseView r = response();
            r.removeHeader(names.get("res.remove_header", "name", name, null));
            return NONE;
        }
    }
}
