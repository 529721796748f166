package io.zkgate.gateway.scripting;

import io.zkgate.schema.ZnodeLayout;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The scripts under the scripts root as the control path knows them: per name, the version being served and, if
 * the latest edit was refused, why. Each version is compiled once, when its znode event arrives; one that does not
 * compile (or whose top level fails) is refused with one log line naming the znode, the line and the message, and
 * the previous version keeps serving. Routes get their script through {@link #bind}.
 *
 * <p>Confined to the control thread, except {@link #stats(String)}, which any thread may call.
 */
public final class ScriptCatalog {
    private static final Logger log = LoggerFactory.getLogger(ScriptCatalog.class);

    private final String root;
    private final int instructionLimit;
    private final Map<String, ScriptState> scripts = new HashMap<>();
    private final ConcurrentMap<String, ScriptStats> stats = new ConcurrentHashMap<>();

    /**
     * What the gateway knows of one script znode. Immutable.
     *
     * @param name          the script's name (znode name)
     * @param served        the version being served, or null if none ever compiled
     * @param latestVersion the znode version last seen
     * @param rejection     why the latest version was refused, or null when it is the one served
     */
    public record ScriptState(String name, LuaScript served, int latestVersion, String rejection) {}

    /**
     * @param scriptsPath      the znode whose children are the scripts
     * @param instructionLimit instructions a script may run per call
     */
    public ScriptCatalog(String scriptsPath, int instructionLimit) {
        if (instructionLimit < 1) {
            throw new IllegalArgumentException("instructionLimit: " + instructionLimit + " (expected: >= 1)");
        }
        this.root = scriptsPath;
        this.instructionLimit = instructionLimit;
    }

    /**
     * A script znode was created or changed.
     *
     * @return whether routes must be rebuilt to see the change
     */
    public boolean put(String path, byte[] source, int znodeVersion) {
        String name = ZnodeLayout.childName(root, path);
        if (name == null) {
            return false;
        }
        ScriptState prev = scripts.get(name);
        if (prev != null && prev.latestVersion() == znodeVersion && prev.served() != null
                && prev.served().version() == znodeVersion) {
            return false;
        }
        try {
            LuaScript script = LuaScript.compile(name, znodeVersion, source == null ? new byte[0] : source,
                    instructionLimit, stats(name));
            scripts.put(name, new ScriptState(name, script, znodeVersion, null));
            log.info("script {} applied: znode {} version {}{}", name, path, znodeVersion,
                    script.hasOnResponse() ? " (on_request, on_response)" : " (on_request)");
            return true;
        } catch (ScriptCompileException e) {
            LuaScript kept = prev == null ? null : prev.served();
            scripts.put(name, new ScriptState(name, kept, znodeVersion, e.getMessage()));
            log.warn("script znode {} version {} refused: {}; {}", path, znodeVersion, e.getMessage(),
                    kept == null ? "routes naming it answer 500 script_error" : "still serving version " + kept.version());
            return kept == null;
        }
    }

    /**
     * A script znode was deleted: routes naming it fail closed from the next snapshot on.
     *
     * @return whether routes must be rebuilt
     */
    public boolean remove(String path) {
        String name = ZnodeLayout.childName(root, path);
        if (name == null || scripts.remove(name) == null) {
            return false;
        }
        log.info("script {} removed (znode {} deleted); routes naming it answer 500 script_error", name, path);
        return true;
    }

    /** The script for a route, frozen into the snapshot being built. */
    public RouteScript bind(String scriptName, String routeId, String service) {
        ScriptState s = scripts.get(scriptName);
        ScriptStats st = stats(scriptName);
        if (s == null) {
            return RouteScript.unavailable(scriptName, "no script znode " + root + "/" + scriptName, st, routeId,
                    service);
        }
        if (s.served() == null) {
            return RouteScript.unavailable(scriptName, "version " + s.latestVersion() + " was refused: "
                    + s.rejection(), st, routeId, service);
        }
        return RouteScript.of(s.served(), st, routeId, service);
    }

    /** Every script znode known, by name. */
    public Map<String, ScriptState> states() {
        return Collections.unmodifiableMap(new TreeMap<>(scripts));
    }

    /** Counters of the script {@code name}, created on first use; they outlive the script's versions. Thread-safe. */
    public ScriptStats stats(String name) {
        return stats.computeIfAbsent(name, ScriptStats::new);
    }
}
