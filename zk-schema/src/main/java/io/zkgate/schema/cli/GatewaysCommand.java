package io.zkgate.schema.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.zkgate.schema.ZnodeLayout;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code gateways}: the fleet view, as gateways report it in their ephemeral status znodes. Not thread-safe. */
@Command(name = "gateways", mixinStandardHelpOptions = true, synopsisSubcommandLabel = "COMMAND",
        description = "Gateways that report to ZooKeeper and the route version each has applied.",
        subcommands = GatewaysCommand.ListGateways.class)
final class GatewaysCommand implements Runnable {
    @ParentCommand
    ZkgateCtl.Root root;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "missing command");
    }

    /** {@code gateways list}. */
    @Command(name = "list", mixinStandardHelpOptions = true,
            description = {"One line per gateway: its id, whether it serves the newest route change (current or"
                    + " behind, by its appliedRouteZxid), then every field of its status JSON."})
    static final class ListGateways implements Callable<Integer> {
        private static final ObjectMapper JSON = new ObjectMapper();

        @ParentCommand
        GatewaysCommand gateways;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            ZkgateCtl.Root root = gateways.root;
            ZnodeLayout layout = root.layout(spec);
            PrintWriter out = root.out();
            try (Connection c = root.connect(spec)) {
                CuratorFramework client = c.client();
                Stat routes = client.checkExists().forPath(layout.routesPath());
                long newest = -1;
                if (routes != null) {
                    newest = newestRouteZxid(client, layout, routes);
                    out.println("route version in ZooKeeper: " + routes.getVersion() + ", newest route change: zxid "
                            + newest);
                }
                if (client.checkExists().forPath(layout.gatewaysPath()) == null) {
                    out.println("no gateways have reported (" + layout.gatewaysPath() + " does not exist)");
                    return ZkgateCtl.OK;
                }
                List<String> ids = new ArrayList<>(client.getChildren().forPath(layout.gatewaysPath()));
                Collections.sort(ids);
                if (ids.isEmpty()) {
                    out.println("no gateways have reported");
                }
                for (String id : ids) {
                    byte[] data;
                    try {
                        data = client.getData().forPath(layout.gatewaysPath() + "/" + id);
                    } catch (KeeperException.NoNodeException e) {
                        continue; // the gateway left meanwhile
                    }
                    out.println(id + "  " + state(data, newest) + "  " + describe(data));
                }
            }
            return ZkgateCtl.OK;
        }

        /**
         * The zxid a gateway that serves every route change reports as {@code appliedRouteZxid}: the newest of the
         * route znodes' modifications and of the creations and deletions under the routes znode.
         */
        static long newestRouteZxid(CuratorFramework client, ZnodeLayout layout, Stat routes) throws Exception {
            long newest = routes.getPzxid();
            for (String id : client.getChildren().forPath(layout.routesPath())) {
                Stat s = client.checkExists().forPath(layout.routesPath() + "/" + id);
                if (s != null) {
                    newest = Math.max(newest, s.getMzxid());
                }
            }
            return newest;
        }

        /** {@code current} or {@code behind} by the gateway's {@code appliedRouteZxid}, {@code -} without one. */
        private static String state(byte[] data, long newest) {
            try {
                JsonNode applied = JSON.readTree(data).get("appliedRouteZxid");
                if (newest < 0 || applied == null || !applied.canConvertToLong()) {
                    return "-";
                }
                return applied.asLong() >= newest ? "current" : "behind";
            } catch (Exception e) {
                return "-";
            }
        }

        private static String describe(byte[] data) {
            if (data == null || data.length == 0) {
                return "(no status)";
            }
            JsonNode tree;
            try {
                tree = JSON.readTree(data);
            } catch (Exception e) {
                return "(status is not JSON: " + abbreviate(new String(data, StandardCharsets.UTF_8)) + ")";
            }
            if (tree == null || !tree.isObject()) {
                return "(status is not a JSON object: " + abbreviate(String.valueOf(tree)) + ")";
            }
            StringBuilder b = new StringBuilder();
            for (Iterator<Map.Entry<String, JsonNode>> it = tree.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getKey().equals("id")) {
                    continue; // printed first
                }
                JsonNode v = e.getValue();
                b.append(b.length() > 0 ? "  " : "").append(e.getKey()).append('=')
                        .append(v.isValueNode() ? v.asText() : v.toString());
            }
            return b.length() == 0 ? "(empty status)" : b.toString();
        }

        private static String abbreviate(String s) {
            String one = s.replaceAll("\\s+", " ").trim();
            return one.length() <= 60 ? one : one.substring(0, 57) + "...";
        }
    }
}
