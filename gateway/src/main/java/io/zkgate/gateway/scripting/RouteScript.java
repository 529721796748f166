package io.zkgate.gateway.scripting;

import static java.util.Objects.requireNonNull;

import io.zkgate.gateway.routing.RequestView;
import io.zkgate.gateway.routing.ResponseView;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaValue;

/**
 * The script a route runs, as frozen into a snapshot: the current good version of the named script, or the fact
 * that there is none (never written, deleted, or never compiled), in which case every request fails closed with
 * 500 script_error rather than skipping the filter. Also holds the route's id and service as Lua strings, made
 * once per snapshot rather than per request. Immutable (the script's per-thread states aside).
 */
public final class RouteScript {
    private final String name;
    private final LuaScript script;
    private final String unavailable;
    private final ScriptStats stats;
    private final String routeId;
    private final LuaString routeIdValue;
    private final LuaString serviceValue;

    private RouteScript(String name, LuaScript script, String unavailable, ScriptStats stats, String routeId,
            String service) {
        this.name = requireNonNull(name, "name");
        this.script = script;
        this.unavailable = unavailable;
        this.stats = requireNonNull(stats, "stats");
        this.routeId = requireNonNull(routeId, "routeId");
        this.routeIdValue = LuaValue.valueOf(routeId);
        this.serviceValue = LuaValue.valueOf(requireNonNull(service, "service"));
    }

    static RouteScript of(LuaScript script, ScriptStats stats, String routeId, String service) {
        return new RouteScript(script.name(), script, null, stats, routeId, service);
    }

    static RouteScript unavailable(String name, String why, ScriptStats stats, String routeId, String service) {
        return new RouteScript(name, null, why, stats, routeId, service);
    }

    public String name() {
        return name;
    }

    /** The version served, or null when the script is unavailable. */
    public LuaScript script() {
        return script;
    }

    /**
     * Runs the script's on_request for {@code request}. The result says what the proxy must do: fail with
     * script_error, answer directly, or proxy with the script's edits.
     */
    public ScriptExchange onRequest(RequestView request) {
        return run(new ScriptExchange(this, request));
    }

    private ScriptExchange run(ScriptExchange x) {
        if (script == null) {
            stats.failed(false, routeId, unavailable);
            x.fail("script '" + name + "' is not available: " + unavailable);
            return x;
        }
        script.onRequest(x);
        return x;
    }

    boolean hasOnResponse() {
        return script != null && script.hasOnResponse();
    }

    boolean onResponse(ScriptExchange x, ResponseView response, int status) {
        return script.onResponse(x, response, status);
    }

    String routeId() {
        return routeId;
    }

    LuaString routeIdValue() {
        return routeIdValue;
    }

    LuaString serviceValue() {
        return serviceValue;
    }

    @Override
    public String toString() {
        return script != null ? script.toString() : name + " (unavailable: " + unavailable + ")";
    }
}
