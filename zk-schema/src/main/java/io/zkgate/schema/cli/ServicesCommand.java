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
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.ACL;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code services}: list registered instances; grant an agent its own service znode. Not thread-safe. */
@Command(name = "services", mixinStandardHelpOptions = true, synopsisSubcommandLabel = "COMMAND",
        description = "Registered services (curator-x-discovery instances) and their agents' access.",
        subcommands = {ServicesCommand.ListServices.class, ServicesCommand.Grant.class})
final class ServicesCommand implements Runnable {
    @ParentCommand
    ZkgateCtl.Root root;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "missing command");
    }

    /** {@code services list}. */
    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List instances: address, weight (0: drained), state, registration time (UTC).")
    static final class ListServices implements Callable<Integer> {
        @ParentCommand
        ServicesCommand services;

        @Spec
        CommandSpec spec;

        @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", description = "only this service")
        String name;

        @Override
        public Integer call() throws Exception {
            ZkgateCtl.Root root = services.root;
            ZnodeLayout layout = root.layout(spec);
            if (name != null) {
                ZkgateCtl.checkName(spec, "NAME", name);
            }
            try (Connection c = root.connect(spec)) {
                CuratorFramework client = c.client();
                List<String> names;
                if (name != null) {
                    if (client.checkExists().forPath(layout.servicePath(name)) == null) {
                        throw CtlException.failed("no service '" + name + "' (" + layout.servicePath(name)
                                + " does not exist)");
                    }
                    names = List.of(name);
                } else if (client.checkExists().forPath(layout.servicesPath()) == null) {
                    root.out().println("no services registered (" + layout.servicesPath() + " does not exist)");
                    return ZkgateCtl.OK;
                } else {
                    names = new ArrayList<>(client.getChildren().forPath(layout.servicesPath()));
                    Collections.sort(names);
                }
                if (names.isEmpty()) {
                    root.out().println("no services registered");
                    return ZkgateCtl.OK;
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
                        byte[] data;
                        try {
                            data = client.getData().forPath(path);
                        } catch (KeeperException.NoNodeException e) {
                            continue;
                        }
                        try {
                            ServiceInstance i = ServiceInstanceCodec.parse(path, service, id,
                                    data == null ? new byte[0] : data);
                            rows.add(new String[] {service, id, i.address() + ":" + i.port(),
                                Integer.toString(i.weight()), state(i),
                                i.registrationTimeUtc() == 0 ? "-" : Instant.ofEpochMilli(i.registrationTimeUtc())
                                        .toString()});
                        } catch (ValidationException e) {
                            rows.add(new String[] {service, id, "INVALID: " + e.problems().stream()
                                    .map(p -> p.field() + ": " + p.reason()).collect(Collectors.joining("; "))});
                        }
                    }
                }
                Table.print(root.out(), rows);
            }
            return ZkgateCtl.OK;
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
    static final class Grant implements Callable<Integer> {
        @ParentCommand
        ServicesCommand services;

        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "NAME", description = "service name")
        String name;

        @Parameters(index = "1", paramLabel = "AGENT_USER:AGENT_PASSWORD", description = "the agent's identity")
        String agent;

        @Override
        public Integer call() throws Exception {
            ZkgateCtl.Root root = services.root;
            ZnodeLayout layout = root.layout(spec);
            String path = layout.servicePath(ZkgateCtl.checkName(spec, "NAME", name));
            ZkAuth operator = root.auth(spec);
            if (operator == null) {
                throw new ParameterException(spec.commandLine(),
                        "grant needs --auth user:password: the operator keeps all rights on the service znode");
            }
            ZkAuth agentAuth;
            try {
                agentAuth = ZkAuth.parse(agent);
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(),
                        "AGENT_USER:AGENT_PASSWORD: (expected: user:password)");
            }
            List<ACL> acl = ZkAcls.serviceSubtree(List.of(operator), agentAuth);
            try (Connection c = root.connect(spec)) {
                CuratorFramework client = c.client();
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
                root.out().println("granted " + path + InitCommand.describe(acl));
                if (open > 0) {
                    root.out().println("note: " + open + " instance znodes under " + path + " are writable by anyone;"
                            + " they keep that until their agents re-register with credentials");
                }
                if (!ZkAcls.worldWritable(client.getACL().forPath(layout.servicesPath()))) {
                    return ZkgateCtl.OK;
                }
                root.out().println("note: " + layout.servicesPath() + " lets anyone create services; lock it with"
                        + " 'zkgate-ctl init --acl --lock-services' once every service has a grant");
            }
            return ZkgateCtl.OK;
        }
    }
}
