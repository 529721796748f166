package io.zkgate.gateway.scripting;

import static io.zkgate.gateway.scripting.LuaText.string;
import static io.zkgate.gateway.scripting.LuaText.text;

import io.zkgate.gateway.routing.ResponseView;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import org.luaj.vm2.LuaClosure;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaUserdata;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Prototype;
import org.luaj.vm2.Varargs;
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
    private static final LuaString GET = LuaValue.valueOf("GET");
    private static final LuaString POST = LuaValue.valueOf("POST");
    private static final LuaString PUT = LuaValue.valueOf("PUT");
    private static final LuaString DELETE = LuaValue.valueOf("DELETE");
    private static final LuaString HEAD = LuaValue.valueOf("HEAD");

    /** The values of {@code req} and {@code res}, each named by its lower-case name in Lua. */
    private enum Field {
        METHOD, PATH, QUERY, CLIENT_IP, ROUTE, SERVICE, STATUS;

        /** Where the members table holds the field: distinct from any function by its type. */
        final LuaUserdata member = LuaValue.userdataOf(this);
    }

    /** The headers that {@code header}, {@code set_header} and {@code remove_header} of req or res read and edit. */
    private interface Headers {
        /** The first value of header {@code name} (any case), or null. */
        String header(String name);

        /** Sets header {@code name} (checked), or removes it when {@code value} is null. */
        void editHeader(String name, String value);
    }

    private final Budget budget;
    private final Sandbox.Env env;
    private final int instructionLimit;
    private final LuaValue onRequest;
    private final LuaValue onResponse;
    private final Sandbox.SealedTable req = new Sandbox.SealedTable();
    private final Sandbox.SealedTable res = new Sandbox.SealedTable();
    /** Header names and values the script passed, converted and checked once: scripts mostly pass constants. */
    private final LuaText.Cache names = new LuaText.Cache(true);
    private final LuaText.Cache values = new LuaText.Cache(false);

    /** The request's headers as {@code req} edits them; valid only once {@link #exchange()} said so. */
    private final Headers requestHeaders = new Headers() {
        @Override
        public String header(String name) {
            return current.header(name);
        }

        @Override
        public void editHeader(String name, String value) {
            current.editHeader(name, value);
        }
    };
    /** The response's headers as {@code res} edits them; valid only once {@link #response()} said so. */
    private final Headers responseHeaders = new Headers() {
        @Override
        public String header(String name) {
            return response.header(name);
        }

        @Override
        public void editHeader(String name, String value) {
            if (value == null) {
                response.removeHeader(name);
            } else {
                response.setHeader(name, value);
            }
        }
    };

    private ScriptExchange current;
    private ResponseView response;
    private int responseStatus;

    private LuaState(Budget budget, Sandbox.Env env, int instructionLimit, LuaValue onRequest, LuaValue onResponse) {
        this.budget = budget;
        this.env = env;
        this.instructionLimit = instructionLimit;
        this.onRequest = onRequest;
        this.onResponse = onResponse;
        LuaTable r = members(Field.METHOD, Field.PATH, Field.QUERY, Field.CLIENT_IP, Field.ROUTE, Field.SERVICE);
        bindHeaders(r, req, "req", () -> {
            exchange();
            return requestHeaders;
        });
        r.rawset("query_param", ApiFunction.of(req, name -> text(ScriptExchange.queryParam(
                exchange().request().query(), string("req.query_param", "name", name)))));
        r.rawset("set_path", ApiFunction.of(req, path -> {
            exchange().setUpstreamPath(string("req.set_path", "path", path));
            return LuaValue.NONE;
        }));
        r.rawset("set_hash_key", ApiFunction.of(req, key -> {
            exchange().setHashKey(key.isnil() ? null : string("req.set_hash_key", "key", key));
            return LuaValue.NONE;
        }));
        r.rawset("respond", ApiFunction.of(req, this::respond));
        seal(req, r, "req");
        LuaTable s = members(Field.STATUS);
        bindHeaders(s, res, "res", () -> {
            response();
            return responseHeaders;
        });
        seal(res, s, "res");
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
        responseStatus = s;
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

    /** Reads a field; what it read of the request is kept on the exchange, so a second read converts nothing. */
    private LuaValue read(Field field) {
        ScriptExchange x = exchange();
        switch (field) {
            case METHOD:
                if (x.method == null) {
                    x.method = methodName(x.request().method());
                }
                return x.method;
            case PATH:
                if (x.path == null) {
                    x.path = (LuaString) text(x.request().path());
                }
                return x.path;
            case QUERY:
                if (x.query == null) {
                    String q = x.request().query();
                    if (q == null) {
                        return LuaValue.NIL;
                    }
                    x.query = (LuaString) text(q);
                }
                return x.query;
            case CLIENT_IP:
                if (x.clientIp == null) {
                    x.clientIp = (LuaString) text(x.request().clientIp());
                }
                return x.clientIp;
            case ROUTE:
                return x.binding().routeIdValue();
            case SERVICE:
                return x.binding().serviceValue();
            case STATUS:
                response();
                return LuaValue.valueOf(responseStatus);
        }
        throw new IllegalArgumentException(field.name());
    }

    /**
     * Binds {@code header}, {@code set_header} and {@code remove_header} of table {@code label}; {@code target} checks
     * that the headers are available now and returns them.
     */
    private void bindHeaders(LuaTable members, LuaTable self, String label, Supplier<Headers> target) {
        String header = label + ".header";
        String set = label + ".set_header";
        String remove = label + ".remove_header";
        members.rawset("header", ApiFunction.of(self,
                name -> text(target.get().header(string(header, "name", name)))));
        members.rawset("set_header", ApiFunction.of(self, (name, value) -> {
            Headers h = target.get();
            String n = names.get(set, "name", name, null);
            h.editHeader(n, values.get(set, "value", value, n));
            return LuaValue.NONE;
        }));
        members.rawset("remove_header", ApiFunction.of(self, name -> {
            Headers h = target.get();
            h.editHeader(names.get(remove, "name", name, null), null);
            return LuaValue.NONE;
        }));
    }

    /** {@code req.respond(status [, headers [, body]])}: answer without contacting a backend. */
    private LuaValue respond(LuaValue status, LuaValue headers, LuaValue body) {
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
            for (Varargs e = t.next(LuaValue.NIL); !e.arg1().isnil(); e = t.next(e.arg1())) {
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
        return LuaValue.NONE;
    }

    private static LuaTable members(Field... fields) {
        LuaTable t = new LuaTable();
        for (Field f : fields) {
            t.rawset(f.name().toLowerCase(Locale.ROOT), f.member);
        }
        return t;
    }

    /** Makes {@code table} read its functions and fields from {@code members} and refuse assignments. */
    private void seal(LuaTable table, LuaTable members, String label) {
        LuaTable mt = new LuaTable();
        mt.rawset(LuaValue.INDEX, new TwoArgFunction() {
            @Override
            public LuaValue call(LuaValue t, LuaValue key) {
                LuaValue m = members.rawget(key);
                return m instanceof LuaUserdata field ? read((Field) field.m_instance) : m;
            }
        });
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
}
