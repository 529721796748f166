package io.zkgate.schema.cli;

import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.zkgate.schema.Problem;
import io.zkgate.schema.Route;
import io.zkgate.schema.RouteCodec;
import io.zkgate.schema.RouteFiles;
import io.zkgate.schema.ValidationException;
import io.zkgate.schema.ZnodeLayout;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code routes}: validate, apply, list, get, delete. Not thread-safe. */
@Command(name = "routes", mixinStandardHelpOptions = true, synopsisSubcommandLabel = "COMMAND",
        description = "Validate route files and edit the routes in ZooKeeper.",
        subcommands = {
            RoutesCommand.Validate.class,
            RoutesCommand.Apply.class,
            RoutesCommand.ListRoutes.class,
            RoutesCommand.Get.class,
            RoutesCommand.Delete.class
        })
final class RoutesCommand extends CommandGroup {
    /** Prints every problem of a failed load and returns the exception that ends the command. */
    static CtlException rejected(PrintWriter err, List<Problem> problems, String what) {
        for (Problem p : problems) {
            err.println(p);
        }
        return CtlException.failed(problems.size() + (problems.size() == 1 ? " problem" : " problems") + "; " + what);
    }

    /** {@code routes validate}. */
    @Command(name = "validate", mixinStandardHelpOptions = true,
            description = {
                "Check route files offline (no ZooKeeper needed) with the same validation the gateway runs.",
                "YAML or JSON; a document holds one route or a list of routes; YAML files may hold several"
                        + " documents. A directory is read recursively (*.yaml, *.yml, *.json)."
            })
    static final class Validate implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(arity = "1..*", paramLabel = "FILE|DIR", description = "route files or directories")
        List<Path> paths;

        @Override
        public Integer call() throws Exception {
            ZkgateCtl.Root root = ZkgateCtl.Root.of(spec);
            RouteFiles.Loaded loaded = RouteFiles.load(paths);
            if (!loaded.ok()) {
                throw rejected(root.err(), loaded.problems(), "the files are not valid");
            }
            root.out().println("ok: " + loaded.routes().size() + " routes in " + loaded.files() + " files");
            return ZkgateCtl.OK;
        }
    }

    /** {@code routes apply}. */
    @Command(name = "apply", mixinStandardHelpOptions = true,
            description = {
                "Make ZooKeeper hold the routes in the files: prints the diff (added, changed field by field,"
                        + " removed), then writes every change in one ZooKeeper transaction that checks the"
                        + " version of everything it read. If anyone changed the routes since they were read,"
                        + " the transaction fails as a whole: exit 1, nothing written.",
                "Routes in ZooKeeper that the files do not hold are kept unless --prune is given."
            })
    static final class Apply extends ZkCommand {
        @Parameters(arity = "1..*", paramLabel = "FILE|DIR", description = "route files or directories")
        List<Path> paths;

        @Option(names = "--dry-run", description = "print the diff, write nothing")
        boolean dryRun;

        @Option(names = "--prune", description = "remove routes that are in ZooKeeper but not in the files")
        boolean prune;

        private List<RouteFiles.Entry> desired;

        @Override
        void prepare() throws Exception {
            RouteFiles.Loaded loaded = RouteFiles.load(paths);
            if (!loaded.ok()) {
                throw rejected(err(), loaded.problems(), "nothing was written");
            }
            desired = loaded.routes();
        }

        @Override
        void run(Connection zk) throws Exception {
            ZnodeLayout layout = layout();
            PrintWriter out = out();
            if (!dryRun) {
                zk.ensureRoot(layout.routesPath());
            }
            RoutePlan plan = RoutePlan.compute(zk.client(), layout, desired, prune);
            if (!plan.problems().isEmpty()) {
                throw rejected(err(), plan.problems(), "nothing was written");
            }
            plan.print(out);
            warnUnregisteredServices(zk.client(), layout, desired, err());
            if (dryRun) {
                out.println("dry run: nothing was written");
                return;
            }
            if (plan.isEmpty()) {
                out.println("nothing to apply: ZooKeeper holds these routes");
                return;
            }
            root().beforeCommit().run();
            RoutePlan.Committed done = plan.commit(zk.client());
            out.println("applied in one transaction: route version " + plan.routeVersion() + " -> "
                    + done.routeVersion() + ", zxid " + done.zxid());
        }
    }

    /**
     * Names each route whose service has no registered instance: applying it is allowed (the service may be about
     * to start), but a misspelt service shows at once rather than as 503s.
     */
    static void warnUnregisteredServices(CuratorFramework client, ZnodeLayout layout, List<RouteFiles.Entry> routes,
            PrintWriter err) throws Exception {
        Map<String, Boolean> registered = new TreeMap<>();
        for (RouteFiles.Entry e : routes) {
            for (String service : e.route().services()) {
                if (!registered.computeIfAbsent(service, s -> hasInstances(client, layout.servicePath(s)))) {
                    err.println("warning: route '" + e.route().id() + "' (" + e.source() + "): service '" + service
                            + "' has no registered instance under " + layout.servicePath(service)
                            + "; its requests get 503 no_instances until one registers (a misspelt service?)");
                }
            }
        }
        err.flush();
    }

    private static boolean hasInstances(CuratorFramework client, String servicePath) {
        try {
            return client.checkExists().forPath(servicePath) != null
                    && !client.getChildren().forPath(servicePath).isEmpty();
        } catch (KeeperException.NoNodeException e) {
            return false;
        } catch (Exception e) {
            return true; // unreadable here (an ACL): no warning rather than a false one
        }
    }

    /** {@code routes list}. */
    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List the routes in ZooKeeper; znodes that fail validation are marked INVALID.")
    static final class ListRoutes extends ZkCommand {
        @Override
        void run(Connection zk) throws Exception {
            CuratorFramework client = zk.client();
            String routesPath = layout().routesPath();
            PrintWriter out = out();
            Stat rootStat = client.checkExists().forPath(routesPath);
            if (rootStat == null) {
                throw CtlException.failed(routesPath + " does not exist (run 'zkgate-ctl init' first)");
            }
            List<String> children = new ArrayList<>(client.getChildren().forPath(routesPath));
            Collections.sort(children);
            out.println("route version " + rootStat.getVersion() + ", " + children.size() + " routes");
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"ID", "HOST", "PREFIX", "METHODS", "SERVICE", "POLICY", "SCRIPT"});
            for (String id : children) {
                String path = routesPath + "/" + id;
                byte[] data = zk.readIfPresent(path);
                if (data == null) {
                    continue;
                }
                try {
                    Route r = RouteCodec.parse(path, data, id);
                    rows.add(new String[] {
                        id,
                        r.match().host() == null ? "*" : r.match().host(),
                        r.match().pathPrefix(),
                        r.match().methods().isEmpty()
                                ? "*" : String.join(",", new TreeSet<>(r.match().methods())),
                        r.describeServices(),
                        r.policy().wireName(),
                        r.script() == null ? "-" : r.script()
                    });
                } catch (ValidationException e) {
                    rows.add(new String[] {id, "INVALID", e.problems().get(0).field() + ": "
                            + e.problems().get(0).reason()});
                    for (Problem p : e.problems()) {
                        err().println(p);
                    }
                }
            }
            Table.print(out, rows);
        }
    }

    /** Output formats of {@code routes get}. */
    enum Format { json, yaml }

    /** {@code routes get}. */
    @Command(name = "get", mixinStandardHelpOptions = true,
            description = "Print one route as JSON (as stored) or YAML (ready to edit and apply).")
    static final class Get extends OneRoute {
        private static final YAMLMapper YAML = new YAMLMapper(new YAMLFactory()
                .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES));

        @Option(names = {"-o", "--format"}, paramLabel = "FORMAT", defaultValue = "json",
                description = "json or yaml (default: ${DEFAULT-VALUE})")
        Format format;

        @Override
        void run(Connection zk) throws Exception {
            byte[] data = zk.read(path, "route '" + id + "'");
            Route route;
            try {
                route = RouteCodec.parse(path, data, id);
            } catch (ValidationException e) {
                out().println(new String(data, StandardCharsets.UTF_8));
                throw rejected(err(), e.problems(), "the stored route is not valid (printed as stored)");
            }
            if (format == Format.yaml) {
                out().print(YAML.writeValueAsString(RouteCodec.toTree(route)));
            } else {
                out().println(new String(RouteCodec.toJson(route), StandardCharsets.UTF_8));
            }
            out().flush();
        }
    }

    /** {@code routes delete}. */
    @Command(name = "delete", mixinStandardHelpOptions = true,
            description = "Delete one route, in a transaction that bumps the route version.")
    static final class Delete extends OneRoute {
        @Override
        void run(Connection zk) throws Exception {
            CuratorFramework client = zk.client();
            String routesPath = layout().routesPath();
            Stat stat = zk.stat(path, "route '" + id + "'");
            Stat rootStat = new Stat();
            byte[] rootData = client.getData().storingStatIn(rootStat).forPath(routesPath);
            try {
                client.transaction().forOperations(
                        client.transactionOp().setData().withVersion(rootStat.getVersion())
                                .forPath(routesPath, rootData == null ? new byte[0] : rootData),
                        client.transactionOp().delete().withVersion(stat.getVersion()).forPath(path));
            } catch (KeeperException.BadVersionException | KeeperException.NoNodeException e) {
                throw CtlException.failed("conflict: the routes changed in ZooKeeper while deleting '" + id
                        + "'; nothing was deleted. Run the command again.");
            } catch (KeeperException.NoAuthException e) {
                throw CtlException.notAuthorised(routesPath);
            }
            out().println("deleted route '" + id + "' (route version " + rootStat.getVersion() + " -> "
                    + (rootStat.getVersion() + 1) + ")");
        }
    }

    /** A command on the one route ID names. */
    abstract static class OneRoute extends ZkCommand {
        @Parameters(index = "0", paramLabel = "ID", description = "route id")
        String id;

        /** ID's znode. */
        String path;

        @Override
        void prepare() {
            path = layout().routePath(name("ID", id));
        }
    }
}
