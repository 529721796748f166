package io.zkgate.schema.cli;

import io.zkgate.schema.Route;
import io.zkgate.schema.RouteCodec;
import io.zkgate.schema.ScriptCheck;
import io.zkgate.schema.ValidationException;
import io.zkgate.schema.ZkAcls;
import io.zkgate.schema.ZnodeLayout;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Stat;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code scripts}: put, list, get, delete Lua filter scripts. Not thread-safe. */
@Command(name = "scripts", mixinStandardHelpOptions = true, synopsisSubcommandLabel = "COMMAND",
        description = "Store and read the Lua filter scripts that routes name in 'script'.",
        subcommands = {
            ScriptsCommand.Put.class,
            ScriptsCommand.ListScripts.class,
            ScriptsCommand.Get.class,
            ScriptsCommand.Delete.class
        })
final class ScriptsCommand implements Runnable {
    @ParentCommand
    ZkgateCtl.Root root;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "missing command");
    }

    /** Route ids in ZooKeeper by the script they name. */
    static Map<String, List<String>> usedBy(CuratorFramework client, ZnodeLayout layout) throws Exception {
        Map<String, List<String>> used = new TreeMap<>();
        if (client.checkExists().forPath(layout.routesPath()) == null) {
            return used;
        }
        List<String> ids = new ArrayList<>(client.getChildren().forPath(layout.routesPath()));
        Collections.sort(ids);
        for (String id : ids) {
            String path = layout.routesPath() + "/" + id;
            try {
                Route r = RouteCodec.parse(path, client.getData().forPath(path), id);
                if (r.script() != null) {
                    used.computeIfAbsent(r.script(), k -> new ArrayList<>()).add(id);
                }
            } catch (ValidationException | KeeperException.NoNodeException e) {
                // an invalid or vanished route names no script the gateway would run
            }
        }
        return used;
    }

    /** {@code scripts put}. */
    @Command(name = "put", mixinStandardHelpOptions = true,
            description = "Check a Lua script as the gateway will (it compiles and defines on_request; nothing runs) "
                    + "and store it; a script that fails is refused with its file, line and message.")
    static final class Put implements Callable<Integer> {
        @ParentCommand
        ScriptsCommand scripts;

        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "NAME", description = "script name, as routes name it")
        String name;

        @Parameters(index = "1", paramLabel = "FILE", description = "Lua source, UTF-8")
        Path file;

        @Override
        public Integer call() throws Exception {
            ZkgateCtl.Root root = scripts.root;
            ZnodeLayout layout = root.layout(spec);
            String path = layout.scriptPath(ZkgateCtl.checkName(spec, "NAME", name));
            byte[] content;
            try {
                content = Files.readAllBytes(file);
            } catch (IOException e) {
                throw CtlException.failed(file + ": cannot read: " + e.getMessage());
            }
            try {
                ScriptCheck.check(file.toString(), content);
            } catch (ValidationException e) {
                throw RoutesCommand.rejected(root.err(), e.problems(), "script '" + name + "' was not stored");
            }
            PrintWriter out = root.out();
            try (Connection c = root.connect(spec)) {
                CuratorFramework client = c.client();
                c.ensureRoot(layout.scriptsPath());
                Stat stat = new Stat();
                byte[] old = null;
                try {
                    old = client.getData().storingStatIn(stat).forPath(path);
                } catch (KeeperException.NoNodeException e) {
                    // new script
                }
                try {
                    if (old == null) {
                        List<ACL> acl = client.getACL().forPath(layout.scriptsPath());
                        if (ZkAcls.hidesDigests(acl)) {
                            throw CtlException.failed(RoutePlan.notAuthorised(layout.scriptsPath()));
                        }
                        client.create().withMode(CreateMode.PERSISTENT).withACL(acl).forPath(path, content);
                        out.println("created script '" + name + "' (" + content.length + " bytes)");
                    } else if (Arrays.equals(old, content)) {
                        out.println("unchanged script '" + name + "' (version " + stat.getVersion() + ")");
                    } else {
                        Stat written = client.setData().withVersion(stat.getVersion()).forPath(path, content);
                        out.println("updated script '" + name + "' (" + content.length + " bytes, version "
                                + stat.getVersion() + " -> " + written.getVersion() + ")");
                    }
                } catch (KeeperException.BadVersionException | KeeperException.NodeExistsException
                        | KeeperException.NoNodeException e) {
                    throw CtlException.failed("conflict: script '" + name + "' changed in ZooKeeper meanwhile; "
                            + "nothing was written. Run the command again.");
                }
            }
            return ZkgateCtl.OK;
        }
    }

    /** {@code scripts list}. */
    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List the scripts, the routes using them, and whether each passes the check the gateway runs "
                    + "(compiles, defines on_request).")
    static final class ListScripts implements Callable<Integer> {
        @ParentCommand
        ScriptsCommand scripts;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            ZkgateCtl.Root root = scripts.root;
            ZnodeLayout layout = root.layout(spec);
            try (Connection c = root.connect(spec)) {
                CuratorFramework client = c.client();
                Map<String, List<String>> used = usedBy(client, layout);
                List<String> names = new ArrayList<>();
                if (client.checkExists().forPath(layout.scriptsPath()) != null) {
                    names.addAll(client.getChildren().forPath(layout.scriptsPath()));
                }
                Collections.sort(names);
                List<String[]> rows = new ArrayList<>();
                rows.add(new String[] {"NAME", "BYTES", "VERSION", "MODIFIED", "USED BY", "CHECK"});
                for (String name : names) {
                    Stat stat = new Stat();
                    byte[] content;
                    try {
                        content = client.getData().storingStatIn(stat).forPath(layout.scriptsPath() + "/" + name);
                    } catch (KeeperException.NoNodeException e) {
                        continue;
                    }
                    rows.add(new String[] {name, Integer.toString(stat.getDataLength()),
                        Integer.toString(stat.getVersion()), Instant.ofEpochMilli(stat.getMtime()).toString(),
                        String.join(",", used.getOrDefault(name, List.of("-"))), check(name, content)});
                }
                Table.print(root.out(), rows);
            }
            return ZkgateCtl.OK;
        }
    }

    /** {@code ok}, or {@code refused: } and why the gateway would refuse the stored script. */
    static String check(String name, byte[] content) {
        try {
            ScriptCheck.compile(name, content == null ? new byte[0] : content);
            return "ok";
        } catch (ScriptCheck.ScriptException e) {
            return "refused: " + e.getMessage();
        }
    }

    /** {@code scripts get}. */
    @Command(name = "get", mixinStandardHelpOptions = true, description = "Print a script's source as stored.")
    static final class Get implements Callable<Integer> {
        @ParentCommand
        ScriptsCommand scripts;

        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "NAME", description = "script name")
        String name;

        @Override
        public Integer call() throws Exception {
            ZkgateCtl.Root root = scripts.root;
            String path = root.layout(spec).scriptPath(ZkgateCtl.checkName(spec, "NAME", name));
            try (Connection c = root.connect(spec)) {
                byte[] data;
                try {
                    data = c.client().getData().forPath(path);
                } catch (KeeperException.NoNodeException e) {
                    throw CtlException.failed("no script '" + name + "' (" + path + " does not exist)");
                }
                root.out().print(new String(data == null ? new byte[0] : data, StandardCharsets.UTF_8));
                root.out().flush();
            }
            return ZkgateCtl.OK;
        }
    }

    /** {@code scripts delete}. */
    @Command(name = "delete", mixinStandardHelpOptions = true,
            description = "Delete a script; refused while a route names it.")
    static final class Delete implements Callable<Integer> {
        @ParentCommand
        ScriptsCommand scripts;

        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "NAME", description = "script name")
        String name;

        @Override
        public Integer call() throws Exception {
            ZkgateCtl.Root root = scripts.root;
            ZnodeLayout layout = root.layout(spec);
            String path = layout.scriptPath(ZkgateCtl.checkName(spec, "NAME", name));
            try (Connection c = root.connect(spec)) {
                CuratorFramework client = c.client();
                Stat stat = client.checkExists().forPath(path);
                if (stat == null) {
                    throw CtlException.failed("no script '" + name + "' (" + path + " does not exist)");
                }
                Stat routesStat = client.checkExists().forPath(layout.routesPath());
                List<String> users = usedBy(client, layout).getOrDefault(name, List.of());
                if (!users.isEmpty()) {
                    throw CtlException.failed("script '" + name + "' is used by routes " + String.join(", ", users)
                            + "; change or delete them first");
                }
                try {
                    if (routesStat == null) {
                        client.delete().withVersion(stat.getVersion()).forPath(path);
                    } else {
                        // Checking the route version keeps an apply that starts using the script from racing this.
                        client.transaction().forOperations(
                                client.transactionOp().check().withVersion(routesStat.getVersion())
                                        .forPath(layout.routesPath()),
                                client.transactionOp().delete().withVersion(stat.getVersion()).forPath(path));
                    }
                } catch (KeeperException.BadVersionException | KeeperException.NoNodeException e) {
                    throw CtlException.failed("conflict: the routes or script '" + name + "' changed in ZooKeeper "
                            + "meanwhile; nothing was deleted. Run the command again.");
                } catch (KeeperException.NoAuthException e) {
                    throw CtlException.failed(RoutePlan.notAuthorised(layout.scriptsPath()));
                }
                root.out().println("deleted script '" + name + "'");
            }
            return ZkgateCtl.OK;
        }
    }
}
