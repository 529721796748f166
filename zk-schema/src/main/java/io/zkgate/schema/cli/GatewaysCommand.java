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
import java.util.TreeMap;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;
import picocli.CommandLine.Command;

/** {@code gateways}: the fleet view, as gateways report it in their ephemeral status znodes. Not thread-safe. */
@Command(name = "gateways", mixinStandardHelpOptions = true, synopsisSubcommandLabel = "COMMAND",
        description = "Gateways that report to ZooKeeper and the route version each has applied.",
        subcommands = GatewaysCommand.ListGateways.class)
final class GatewaysCommand extends CommandGroup {
    /** {@code gateways list}. */
    @Command(name = "list", mixinStandardHelpOptions = true,
            description = {"One line per gateway: its id, whether it serves the newest route change (current,"
                    + " behind by its appliedRouteZxid, or refused (route X: reason) when the newer changes are"
                    + " edits it refused), then every field of its status JSON."})
    static final class ListGateways extends ZkCommand {
        private static final ObjectMapper JSON = new ObjectMapper();

        @Override
        void run(Connection zk) throws Exception {
            CuratorFramework client = zk.client();
            ZnodeLayout layout = layout();
            PrintWriter out = out();
            Stat routes = client.checkExists().forPath(layout.routesPath());
            RouteChanges changes = null;
            if (routes != null) {
                changes = RouteChanges.read(client, layout, routes);
                out.println("route version in ZooKeeper: " + routes.getVersion() + ", newest route change: zxid "
                        + changes.newest());
            }
            if (client.checkExists().forPath(layout.gatewaysPath()) == null) {
                out.println("no gateways have reported (" + layout.gatewaysPath() + " does not exist)");
                return;
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
                out.println(id + "  " + state(data, changes) + "  " + describe(data));
            }
        }

        /**
         * The route znodes' zxids: the newest of their modifications and of the creations and deletions under the
         * routes znode is what a gateway that serves every route change reports as {@code appliedRouteZxid}.
         *
         * @param pzxid  the routes znode's last creation or deletion of a child
         * @param routes each route znode's stat, by id
         */
        record RouteChanges(long pzxid, Map<String, Stat> routes) {
            static RouteChanges read(CuratorFramework client, ZnodeLayout layout, Stat root) throws Exception {
                Map<String, Stat> routes = new TreeMap<>();
                for (String id : client.getChildren().forPath(layout.routesPath())) {
                    Stat s = client.checkExists().forPath(layout.routesPath() + "/" + id);
                    if (s != null) {
                        routes.put(id, s);
                    }
                }
                return new RouteChanges(root.getPzxid(), routes);
            }

            long newest() {
                return Math.max(pzxid, routes.values().stream().mapToLong(Stat::getMzxid).max().orElse(pzxid));
            }
        }

        /**
         * {@code current} when the gateway's {@code appliedRouteZxid} reaches the newest route change;
         * {@code refused (route X: reason)} when every newer change is an edit the gateway refused (so it will not
         * catch up until the route is fixed); {@code behind} when it has yet to apply some; {@code -} without data.
         */
        static String state(byte[] data, RouteChanges changes) {
            JsonNode tree;
            try {
                tree = JSON.readTree(data);
            } catch (Exception e) {
                return "-";
            }
            JsonNode appliedNode = tree == null ? null : tree.get("appliedRouteZxid");
            if (changes == null || appliedNode == null || !appliedNode.canConvertToLong()) {
                return "-";
            }
            long applied = appliedNode.asLong();
            if (applied >= changes.newest()) {
                return "current";
            }
            JsonNode refused = tree.path("refusedRoutes");
            List<String> explained = new ArrayList<>();
            long newestRefusedCreation = -1;
            for (Map.Entry<String, Stat> e : changes.routes().entrySet()) {
                if (e.getValue().getMzxid() <= applied) {
                    continue;
                }
                if (!refused.has(e.getKey())) {
                    return "behind"; // a change it has not applied and did not refuse
                }
                explained.add("route " + e.getKey() + ": " + refused.get(e.getKey()).asText());
                newestRefusedCreation = Math.max(newestRefusedCreation, e.getValue().getCzxid());
            }
            // A deletion (or a creation of a route it accepted) newer than what it applied is not explained.
            if (explained.isEmpty() || (changes.pzxid() > applied && changes.pzxid() != newestRefusedCreation)) {
                return "behind";
            }
            return "refused (" + String.join("; ", explained) + ")";
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
                if (e.getKey().equals("id") || (e.getKey().equals("refusedRoutes") && e.getValue().isEmpty())) {
                    continue; // printed first, or nothing refused
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
