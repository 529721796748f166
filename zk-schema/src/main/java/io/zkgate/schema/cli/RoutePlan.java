package io.zkgate.schema.cli;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.zkgate.schema.Problem;
import io.zkgate.schema.Route;
import io.zkgate.schema.RouteCodec;
import io.zkgate.schema.RouteConflicts;
import io.zkgate.schema.RouteFiles;
import io.zkgate.schema.ValidationException;
import io.zkgate.schema.ZkAcls;
import io.zkgate.schema.ZnodeLayout;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.curator.framework.api.transaction.CuratorTransactionResult;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Stat;

/**
 * What {@code routes apply} will do: the routes in ZooKeeper as read at one route version, the routes in the files,
 * the difference field by field, and the one multi-op transaction that makes ZooKeeper hold the files' routes. The
 * transaction bumps the data version of the routes znode (the route version) and checks the version of every
 * route znode it read, so it fails as a whole if anything it planned against changed meanwhile. Computing and
 * committing are separate so that two plans can be made from the same version. Immutable.
 */
public final class RoutePlan {
    /** What happens to one route. */
    public enum Kind {
        ADDED, CHANGED, REMOVED, UNCHANGED,
        /** In ZooKeeper, not in the files, and no {@code --prune}: left as it is. */
        KEPT
    }

    /**
     * One field that differs.
     *
     * @param field  dotted field path, such as {@code lb.policy}
     * @param before value in ZooKeeper, null when absent there
     * @param after  value in the files, null when absent there
     */
    public record FieldChange(String field, JsonNode before, JsonNode after) {}

    /**
     * One route's step.
     *
     * @param kind     what happens
     * @param id       route id
     * @param fileLine the {@code file:line} the desired route was read from; null for REMOVED and KEPT, which no
     *                 file holds
     * @param json     the bytes to write for ADDED and CHANGED, else null
     * @param version  the route znode's data version as read, -1 for ADDED
     * @param fields   field-level changes for ADDED, CHANGED
     * @param note     why a CHANGED route changed beyond its fields (an invalid znode), else null
     */
    public record Step(Kind kind, String id, String fileLine, byte[] json, int version, List<FieldChange> fields,
            String note) {
        public Step {
            fields = List.copyOf(fields);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final ZnodeLayout layout;
    private final int routeVersion;
    private final byte[] routesData;
    private final List<ACL> childAcl;
    private final List<Step> steps;
    private final Set<String> scripts;
    private final List<Problem> problems;
    private final int filesRoutes;

    private RoutePlan(ZnodeLayout layout, int routeVersion, byte[] routesData, List<ACL> childAcl, List<Step> steps,
            Set<String> scripts, List<Problem> problems, int filesRoutes) {
        this.layout = layout;
        this.routeVersion = routeVersion;
        this.routesData = routesData;
        this.childAcl = List.copyOf(childAcl);
        this.steps = List.copyOf(steps);
        this.scripts = Set.copyOf(scripts);
        this.problems = List.copyOf(problems);
        this.filesRoutes = filesRoutes;
    }

    /**
     * Reads the routes in ZooKeeper and plans how to make them equal the files' routes, which must have passed
     * {@link RouteFiles} without problems.
     *
     * @param prune remove routes that are in ZooKeeper but not in the files
     */
    public static RoutePlan compute(CuratorFramework client, ZnodeLayout layout, List<RouteFiles.Entry> desired,
            boolean prune) throws Exception {
        requireNonNull(client, "client");
        requireNonNull(layout, "layout");
        String routesPath = layout.routesPath();
        Stat rootStat = new Stat();
        byte[] rootData;
        try {
            rootData = client.getData().storingStatIn(rootStat).forPath(routesPath);
        } catch (KeeperException.NoNodeException e) {
            throw CtlException.failed(routesPath + " does not exist in ZooKeeper (run 'zkgate-ctl init' first)");
        }
        List<ACL> childAcl = client.getACL().forPath(routesPath);

        Map<String, Current> current = new TreeMap<>();
        for (String child : client.getChildren().forPath(routesPath)) {
            String path = routesPath + "/" + child;
            Stat stat = new Stat();
            byte[] data;
            try {
                data = client.getData().storingStatIn(stat).forPath(path);
            } catch (KeeperException.NoNodeException e) {
                continue; // deleted since listing: absent as far as this plan is concerned
            }
            current.put(child, Current.of(path, child, data == null ? new byte[0] : data, stat.getVersion()));
        }

        List<Step> steps = new ArrayList<>();
        Set<String> inFiles = new LinkedHashSet<>();
        for (RouteFiles.Entry e : desired) {
            Route route = e.route();
            inFiles.add(route.id());
            String fileLine = e.file() + (e.line() > 0 ? ":" + e.line() : "");
            JsonNode after = RouteCodec.toTree(route);
            byte[] json = RouteCodec.toJson(route);
            Current cur = current.get(route.id());
            if (cur == null) {
                steps.add(new Step(Kind.ADDED, route.id(), fileLine, json, -1, RouteDiff.fields(null, after), null));
            } else if (cur.route == null) {
                steps.add(new Step(Kind.CHANGED, route.id(), fileLine, json, cur.version,
                        RouteDiff.fields(cur.rawTree, after), "invalid in ZooKeeper: " + cur.problem));
            } else {
                List<FieldChange> fields = RouteDiff.fields(RouteCodec.toTree(cur.route), after);
                steps.add(new Step(fields.isEmpty() ? Kind.UNCHANGED : Kind.CHANGED, route.id(), fileLine,
                        fields.isEmpty() ? null : json, cur.version, fields, null));
            }
        }
        for (Current cur : current.values()) {
            if (!inFiles.contains(cur.id)) {
                steps.add(new Step(prune ? Kind.REMOVED : Kind.KEPT, cur.id, null, null, cur.version, List.of(),
                        null));
            }
        }

        List<Problem> problems = new ArrayList<>();
        // Routes kept in ZooKeeper take part in the conflict check: the gateway would see them beside the files'.
        Map<Route, String> sources = new IdentityHashMap<>();
        List<Route> all = new ArrayList<>();
        for (Step s : steps) {
            Current cur = current.get(s.id);
            if (s.kind == Kind.KEPT && cur.route != null) {
                sources.put(cur.route, cur.path);
                all.add(cur.route);
            }
        }
        for (RouteFiles.Entry e : desired) {
            sources.put(e.route(), e.source());
            all.add(e.route());
        }
        for (Problem p : RouteConflicts.check(all, sources::get)) {
            if (!p.source().startsWith(routesPath + "/")) {
                problems.add(new Problem(p.source(), p.field(), p.reason() + " (kept in ZooKeeper; --prune or "
                        + "'routes delete' removes it)"));
            }
        }

        Set<String> scripts = new LinkedHashSet<>();
        for (RouteFiles.Entry e : desired) {
            String script = e.route().script();
            if (script != null && scripts.add(script)
                    && client.checkExists().forPath(layout.scriptPath(script)) == null) {
                problems.add(new Problem(e.source(), "script", "'" + script + "' is not in ZooKeeper (expected: put "
                        + "it first with 'zkgate-ctl scripts put " + script + " FILE')"));
            }
        }
        return new RoutePlan(layout, rootStat.getVersion(), rootData == null ? new byte[0] : rootData, childAcl,
                steps, scripts, problems, desired.size());
    }

    public int routeVersion() {
        return routeVersion;
    }

    public List<Step> steps() {
        return steps;
    }

    /** Problems that forbid committing: a files' route clashes with one kept in ZooKeeper, a missing script. */
    public List<Problem> problems() {
        return problems;
    }

    /** Whether committing would write nothing. */
    public boolean isEmpty() {
        return steps.stream().allMatch(s -> s.kind == Kind.UNCHANGED || s.kind == Kind.KEPT);
    }

    public long count(Kind kind) {
        return steps.stream().filter(s -> s.kind == kind).count();
    }

    /** Prints the diff: one line per route that changes, one indented line per field. */
    public void print(PrintWriter out) {
        out.println("route version " + routeVersion + " in ZooKeeper: "
                + (steps.size() - count(Kind.ADDED)) + " routes; files: " + filesRoutes + " routes");
        for (Step s : steps) {
            switch (s.kind) {
                case ADDED:
                    out.println("+ added   " + s.id + "  (" + s.fileLine + ")");
                    break;
                case CHANGED:
                    out.println("~ changed " + s.id + "  (" + s.fileLine + ")"
                            + (s.note == null ? "" : "  " + s.note));
                    break;
                case REMOVED:
                    out.println("- removed " + s.id);
                    break;
                default:
                    continue;
            }
            for (FieldChange f : s.fields) {
                if (f.before == null) {
                    out.println("    + " + f.field + ": " + f.after);
                } else if (f.after == null) {
                    out.println("    - " + f.field + ": " + f.before);
                } else {
                    out.println("    ~ " + f.field + ": " + f.before + " -> " + f.after);
                }
            }
        }
        out.println(count(Kind.ADDED) + " to add, " + count(Kind.CHANGED) + " to change, " + count(Kind.REMOVED)
                + " to remove, " + count(Kind.UNCHANGED) + " unchanged");
        List<String> kept = steps.stream().filter(s -> s.kind == Kind.KEPT).map(Step::id)
                .collect(Collectors.toList());
        if (!kept.isEmpty()) {
            out.println("in ZooKeeper but not in the files, kept (--prune removes them): " + String.join(", ", kept));
        }
    }

    /**
     * A committed plan.
     *
     * @param routeVersion the new route version
     * @param zxid         the transaction's id; a gateway serves the plan once its {@code appliedRouteZxid} is at
     *                     least this
     */
    public record Committed(int routeVersion, long zxid) {}

    /**
     * Writes the plan in one transaction.
     *
     * @throws CtlException when anything the plan read has changed since; then nothing was written
     */
    public Committed commit(CuratorFramework client) throws Exception {
        String routesPath = layout.routesPath();
        if (count(Kind.ADDED) > 0 && ZkAcls.hidesDigests(childAcl)) {
            throw CtlException.notAuthorised(routesPath);
        }
        List<CuratorOp> ops = new ArrayList<>();
        List<String> what = new ArrayList<>();
        ops.add(client.transactionOp().setData().withVersion(routeVersion).forPath(routesPath, routesData));
        what.add("the route version");
        for (String script : scripts) {
            ops.add(client.transactionOp().check().withVersion(-1).forPath(layout.scriptPath(script)));
            what.add("script '" + script + "'");
        }
        for (Step s : steps) {
            // Not layout.routePath: a znode someone created by hand may have a name that method refuses.
            String path = routesPath + "/" + s.id;
            switch (s.kind) {
                case ADDED:
                    ops.add(client.transactionOp().create().withMode(CreateMode.PERSISTENT).withACL(childAcl)
                            .forPath(path, s.json));
                    break;
                case CHANGED:
                    ops.add(client.transactionOp().setData().withVersion(s.version).forPath(path, s.json));
                    break;
                case REMOVED:
                    ops.add(client.transactionOp().delete().withVersion(s.version).forPath(path));
                    break;
                default:
                    ops.add(client.transactionOp().check().withVersion(s.version).forPath(path));
                    break;
            }
            what.add("route '" + s.id + "'");
        }
        List<CuratorTransactionResult> results;
        try {
            results = client.transaction().forOperations(ops);
        } catch (KeeperException.BadVersionException | KeeperException.NoNodeException
                | KeeperException.NodeExistsException e) {
            throw conflict(client, e, what);
        } catch (KeeperException.NoAuthException e) {
            throw CtlException.notAuthorised(routesPath);
        }
        Stat stat = results.get(0).getResultStat();
        return new Committed(stat.getVersion(), stat.getMzxid());
    }

    private CtlException conflict(CuratorFramework client, KeeperException e, List<String> what) {
        String culprit = "something it read";
        List<OpResult> results = e.getResults();
        if (results != null) {
            for (int i = 0; i < results.size() && i < what.size(); i++) {
                OpResult r = results.get(i);
                if (r instanceof OpResult.ErrorResult) {
                    int err = ((OpResult.ErrorResult) r).getErr();
                    if (err != KeeperException.Code.OK.intValue()
                            && err != KeeperException.Code.RUNTIMEINCONSISTENCY.intValue()) {
                        culprit = what.get(i);
                        break;
                    }
                }
            }
        }
        String now = "";
        try {
            Stat stat = client.checkExists().forPath(layout.routesPath());
            if (stat != null && stat.getVersion() != routeVersion) {
                now = " (route version was " + routeVersion + ", now " + stat.getVersion()
                        + ": another apply or delete got there first)";
            }
        } catch (Exception ignored) {
            // only decorates the message
        }
        return CtlException.failed("conflict: " + culprit + " changed in ZooKeeper since this apply read it" + now
                + "; nothing was written. Run the apply again to review the new diff.");
    }

    /** A route znode as read. */
    private static final class Current {
        final String path;
        final String id;
        final int version;
        final Route route;
        final JsonNode rawTree;
        final String problem;

        private Current(String path, String id, int version, Route route, JsonNode rawTree, String problem) {
            this.path = path;
            this.id = id;
            this.version = version;
            this.route = route;
            this.rawTree = rawTree;
            this.problem = problem;
        }

        static Current of(String path, String id, byte[] data, int version) {
            try {
                return new Current(path, id, version, RouteCodec.parse(path, data, id), null, null);
            } catch (ValidationException e) {
                JsonNode raw = null;
                try {
                    raw = JSON.readTree(data);
                } catch (Exception ignored) {
                    // not JSON at all: every field of the new route shows as added
                }
                String problem = e.problems().stream().map(p -> p.field() + ": " + p.reason())
                        .collect(Collectors.joining("; "));
                return new Current(path, id, version, null, raw == null || !raw.isObject() ? null : raw, problem);
            }
        }
    }
}
