package io.zkgate.schema.cli;

import io.zkgate.schema.ServiceInstance;
import io.zkgate.schema.ServiceInstanceCodec;
import io.zkgate.schema.ValidationException;
import io.zkgate.schema.ZkAcls;
import io.zkgate.schema.ZkAuth;
import io.zkgate.schema.ZnodeLayout;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.ACL;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code services}: list registered instances; grant an agent its own service znode. Not thread-safe. */
@Command(name = "services", mixinStandardHelpOptions = true, synopsisSubcommandLabel = "COMMAND",
        description = "Registered services (curator-x-discovery instances) and their agents' access.",
        subcommands = {ServicesCommand.ListServices.class, ServicesCommand.Grant.class})
final class ServicesCommand extends CommandGroup {
    /** {@code services list}. */
    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List instances: address, weight (0: drained), state, registration time (UTC).")
    static final class ListServices extends ZkCommand {
        @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", description = "only this service")
        String name;

        @Override
        void prepare() {
            name("NAME", name);
        }

        @Override
        void run(Connection zk) throws Exception {
            CuratorFramework client = zk.client();
            ZnodeLayout layout = layout();
            List<String> names;
            if (name != null) {
                zk.stat(layout.servicePath(name), "service '" + name + "'");
                names = List.of(name);
            } else if (client.checkExists().forPath(layout.servicesPath()) == null) {
                out().println("no services registered (" + layout.servicesPath() + " does not exist)");
                return;
            } else {
                names = new ArrayList<>(client.getChildren().forPath(layout.servicesPath()));
                Collections.sort(names);
            }
            if (names.isEmpty()) {
                out().println("no services registered");
                return;
            }
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"SERVICE", "INSTANCE", "ADDRESS", "WEIGHT", "STATE", "REGISTERED"});
            for (String service : names) {
                String servicePath = layout.servicesPath() + "/" + service;
                List<String> ids;
                try {
                    ids = new ArrayList<>(client.getChildren().forPath(servicePath));
                } catch (KeeperException.NoNodeException e) {
                    continue;
                }
                Collections.sort(ids);
                if (ids.isEmpty()) {
                    rows.add(new String[] {service, "-", "-", "-", "no instances", "-"});
                }
                for (String id : ids) {
                    String path = servicePath + "/" + id;
                    byte[] data = zk.readIfPresent(path);
                    if (data == null) {
                        continue;
                    }
                    try {
                        ServiceInstance i = ServiceInstanceCodec.parse(path, service, id, data);
                        rows.add(new String[] {service, id, i.authority(),
                            Integer.toString(i.weight()), state(i),
                            i.registrationTimeUtc() == 0 ? "-" : Instant.ofEpochMilli(i.registrationTimeUtc())
                                    .toString()});
                    } catch (ValidationException e) {
                        rows.add(new String[] {service, id, "INVALID: " + e.problems().stream()
                                .map(p -> p.field() + ": " + p.reason()).collect(Collectors.joining("; "))});
                    }
                }
            }
            Table.print(out(), rows);
        }

        private static String state(ServiceInstance i) {
            if (!i.enabled()) {
                return "disabled";
            }
            return i.weight() == 0 ? "drained" : "up";
        }
    }

    /** {@code services grant}. */
    @Command(name = "grant", mixinStandardHelpOptions = true,
            description = {
                "Give one service's agent write access to its own service znode, and nobody else: creates"
                        + " <services-root>/NAME if needed and sets its ACL to the operator (--auth) all,"
                        + " the agent read/write/create/delete, anyone read.",
                "The agent then registers with --zk-auth AGENT_USER:AGENT_PASSWORD (or ZKGATE_ZK_AUTH)."
            })
    static final class Grant extends ZkCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "service name")
        String name;

        @Parameters(index = "1", paramLabel = "AGENT_USER:AGENT_PASSWORD", description = "the agent's identity")
        String agent;

        private String path;
        private List<ACL> acl;

        @Override
        void prepare() {
            path = layout().servicePath(name("NAME", name));
            ZkAuth operator = root().auth(spec);
            if (operator == null) {
                throw usage("grant needs --auth user:password: the operator keeps all rights on the service znode");
            }
            ZkAuth agentAuth;
            try {
                agentAuth = ZkAuth.parse(agent);
            } catch (IllegalArgumentException e) {
                throw usage("AGENT_USER:AGENT_PASSWORD: (expected: user:password)");
            }
            acl = ZkAcls.serviceSubtree(List.of(operator), agentAuth);
        }

        @Override
        void run(Connection zk) throws Exception {
            CuratorFramework client = zk.client();
            if (client.checkExists().forPath(path) == null) {
                try {
                    client.create().creatingParentsIfNeeded().withACL(acl).forPath(path, new byte[0]);
                } catch (KeeperException.NodeExistsException e) {
                    client.setACL().withACL(acl).forPath(path);
                }
            } else {
                client.setACL().withACL(acl).forPath(path);
            }
            int open = 0;
            for (String child : client.getChildren().forPath(path)) {
                List<ACL> childAcl = client.getACL().forPath(path + "/" + child);
                if (ZkAcls.worldWritable(childAcl)) {
                    open++;
                }
            }
            out().println("granted " + path + InitCommand.describe(acl));
            if (open > 0) {
                out().println("note: " + open + " instance znodes under " + path + " are writable by anyone;"
                        + " they keep that until their agents re-register with credentials");
            }
            String servicesPath = layout().servicesPath();
            if (ZkAcls.worldWritable(client.getACL().forPath(servicesPath))) {
                out().println("note: " + servicesPath + " lets anyone create services; lock it with"
                        + " 'zkgate-ctl init --acl --lock-services' once every service has a grant");
            }
        }
    }
}
