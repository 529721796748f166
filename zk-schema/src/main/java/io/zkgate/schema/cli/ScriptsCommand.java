package io.zkgate.schema.cli;

import io.zkgate.schema.Route;
import io.zkgate.schema.RouteCodec;
import io.zkgate.schema.ScriptCheck;
import io.zkgate.schema.ValidationException;
import io.zkgate.schema.ZkAcls;
import io.zkgate.schema.ZnodeLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Stat;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code scripts}: put, list, get, delete Lua filter scripts. Not thread-safe. */
@Command(name = "scripts", mixinStandardHelpOptions = true, synopsisSubcommandLabel = "COMMAND",
        description = "Store and read the Lua filter scripts that routes name in 'script'.",
        subcommands = {
            ScriptsCommand.Put.class,
            ScriptsCommand.ListScripts.class,
            ScriptsCommand.Get.class,
            ScriptsCommand.Delete.class
        })
final class ScriptsCommand extends CommandGroup {
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
    static final class Put extends ZkCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "script name, as routes name it")
        String name;

        @Parameters(index = "1", paramLabel = "FILE", description = "Lua source, UTF-8")
        Path file;

        private String path;
        private byte[] content;

        @Override
        void prepare() throws CtlException {
            path = layout().scriptPath(name("NAME", name));
            content = readFile(file);
            try {
                ScriptCheck.check(file.toString(), content);
            } catch (ValidationException e) {
                throw RoutesCommand.rejected(err(), e.problems(), "script '" + name + "' was not stored");
            }
        }

        @Override
        void run(Connection zk) throws Exception {
            CuratorFramework client = zk.client();
            String scriptsPath = layout().scriptsPath();
            zk.ensureRoot(scriptsPath);
            Stat stat = new Stat();
            byte[] old = null;
            try {
                old = client.getData().storingStatIn(stat).forPath(path);
            } catch (KeeperException.NoNodeException e) {
                // new script
            }
            try {
                if (old == null) {
                    List<ACL> acl = client.getACL().forPath(scriptsPath);
                    if (ZkAcls.hidesDigests(acl)) {
                        throw CtlException.notAuthorised(scriptsPath);
                    }
                    client.create().withMode(CreateMode.PERSISTENT).withACL(acl).forPath(path, content);
                    out().println("created script '" + name + "' (" + content.length + " bytes)");
                } else if (Arrays.equals(old, content)) {
                    out().println("unchanged script '" + name + "' (version " + stat.getVersion() + ")");
                } else {
                    Stat written = client.setData().withVersion(stat.getVersion()).forPath(path, content);
                    out().println("updated script '" + name + "' (" + content.length + " bytes, version "
                            + stat.getVersion() + " -> " + written.getVersion() + ")");
                }
            } catch (KeeperException.BadVersionException | KeeperException.NodeExistsException
                    | KeeperException.NoNodeException e) {
                throw CtlException.failed("conflict: script '" + name + "' changed in ZooKeeper meanwhile; "
                        + "nothing was written. Run the command again.");
            }
        }
    }

    /** {@code scripts list}. */
    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List the scripts, the routes using them, and whether each passes the check the gateway runs "
                    + "(compiles, defines on_request).")
    static final class ListScripts extends ZkCommand {
        @Override
        void run(Connection zk) throws Exception {
            CuratorFramework client = zk.client();
            String scriptsPath = layout().scriptsPath();
            Map<String, List<String>> used = usedBy(client, layout());
            List<String> names = new ArrayList<>();
            if (client.checkExists().forPath(scriptsPath) != null) {
                names.addAll(client.getChildren().forPath(scriptsPath));
            }
            Collections.sort(names);
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"NAME", "BYTES", "VERSION", "MODIFIED", "USED BY", "CHECK"});
            for (String name : names) {
                Stat stat = new Stat();
                byte[] content;
                try {
                    content = client.getData().storingStatIn(stat).forPath(scriptsPath + "/" + name);
                } catch (KeeperException.NoNodeException e) {
                    continue;
                }
                rows.add(new String[] {name, Integer.toString(stat.getDataLength()),
                    Integer.toString(stat.getVersion()), Instant.ofEpochMilli(stat.getMtime()).toString(),
                    String.join(",", used.getOrDefault(name, List.of("-"))), check(name, content)});
            }
            Table.print(out(), rows);
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
    static final class Get extends OneScript {
        @Override
        void run(Connection zk) throws Exception {
            out().print(new String(zk.read(path, "script '" + name + "'"), StandardCharsets.UTF_8));
            out().flush();
        }
    }

    /** {@code scripts delete}. */
    @Command(name = "delete", mixinStandardHelpOptions = true,
            description = "Delete a script; refused while a route names it.")
    static final class Delete extends OneScript {
        @Override
        void run(Connection zk) throws Exception {
            CuratorFramework client = zk.client();
            ZnodeLayout layout = layout();
            Stat stat = zk.stat(path, "script '" + name + "'");
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
                throw CtlException.notAuthorised(layout.scriptsPath());
            }
            out().println("deleted script '" + name + "'");
        }
    }

    /** A command on the one script NAME names. */
    abstract static class OneScript extends ZkCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "script name")
        String name;

        /** NAME's znode. */
        String path;

        @Override
        void prepare() {
            path = layout().scriptPath(name("NAME", name));
        }
    }
}
