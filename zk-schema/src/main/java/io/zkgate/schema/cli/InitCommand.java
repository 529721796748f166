package io.zkgate.schema.cli;

import io.zkgate.schema.ZkAcls;
import io.zkgate.schema.ZkAuth;
import io.zkgate.schema.ZnodeLayout;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code init}: creates the tree, idempotently, and with {@code --acl} locks it to operators. Not thread-safe. */
@Command(name = "init", mixinStandardHelpOptions = true,
        description = {
            "Create the zkgate tree (zkgate root, routes, scripts, gateways, services root). Safe to run again.",
            "With --acl, the zkgate root, routes and scripts (and the routes and scripts in them) get a digest ACL:"
                    + " operators (--auth, --operator) may do everything, anyone may read. Gateways need no"
                    + " credentials; they only read. The gateways znode stays open for gateways to report in."
        })
final class InitCommand extends ZkCommand {
    /** What the gateways znode allows anyone: gateways create and delete their ephemeral status znodes. */
    private static final int GATEWAYS_WORLD_PERMS = ZooDefs.Perms.READ | ZooDefs.Perms.WRITE | ZooDefs.Perms.CREATE
            | ZooDefs.Perms.DELETE;

    @Option(names = "--acl", description = "lock the routes and scripts trees to operators, world read-only")
    boolean acl;

    @Option(names = "--operator", paramLabel = "USER:PASSWORD",
            description = "a further operator identity for the ACL, besides --auth (repeatable)")
    List<String> operators = new ArrayList<>();

    @Option(names = "--lock-services", description = "with --acl: also lock the services root, so that only "
            + "operators create service znodes (then give each service's agent its own with 'services grant')")
    boolean lockServices;

    private final List<ZkAuth> ops = new ArrayList<>();

    @Override
    void prepare() {
        ZkAuth auth = root().auth(spec);
        if (acl) {
            if (auth == null) {
                throw usage("--acl needs --auth user:password: the operator identity the ACL grants");
            }
            ops.add(auth);
            for (String o : operators) {
                try {
                    ops.add(ZkAuth.parse(o));
                } catch (IllegalArgumentException e) {
                    throw usage("--operator: (expected: user:password)");
                }
            }
        } else if (!operators.isEmpty() || lockServices) {
            throw usage("--operator and --lock-services go with --acl");
        }
    }

    @Override
    void run(Connection zk) throws Exception {
        CuratorFramework client = zk.client();
        ZnodeLayout layout = layout();
        PrintWriter out = out();
        List<ACL> locked = acl ? ZkAcls.operatorsWriteWorldRead(ops) : null;
        List<ACL> gateways = null;
        if (acl) {
            gateways = new ArrayList<>(locked);
            gateways.removeIf(a -> a.getId().equals(ZooDefs.Ids.ANYONE_ID_UNSAFE));
            gateways.add(new ACL(GATEWAYS_WORLD_PERMS, ZooDefs.Ids.ANYONE_ID_UNSAFE));
        }
        ensure(client, out, layout.zkgateRoot(), locked);
        ensure(client, out, layout.routesPath(), locked);
        ensure(client, out, layout.scriptsPath(), locked);
        ensure(client, out, layout.credentialsPath(), locked);
        ensure(client, out, layout.jwksPath(), locked);
        ensure(client, out, layout.gatewaysPath(), gateways);
        ensure(client, out, layout.servicesPath(), lockServices ? locked : null);
        if (acl) {
            lockChildren(client, out, layout.routesPath(), locked);
            lockChildren(client, out, layout.scriptsPath(), locked);
            lockChildren(client, out, layout.jwksPath(), locked);
            lockChildren(client, out, layout.credentialsPath(), locked);
            for (String set : client.getChildren().forPath(layout.credentialsPath())) {
                lockChildren(client, out, layout.credentialsPath() + "/" + set, locked);
            }
        }
        out.println(acl ? "initialised, locked to operators " + ops.stream().map(ZkAuth::user)
                .collect(Collectors.joining(", ")) : "initialised");
    }

    /** Creates {@code path} if absent; sets {@code acl} when not null, else leaves an existing node's ACL alone. */
    private static void ensure(CuratorFramework client, PrintWriter out, String path, List<ACL> acl) throws Exception {
        if (client.checkExists().forPath(path) == null) {
            try {
                client.create().creatingParentsIfNeeded()
                        .withACL(acl == null ? ZooDefs.Ids.OPEN_ACL_UNSAFE : acl)
                        .forPath(path, new byte[0]);
                out.println("created " + path + describe(acl));
                return;
            } catch (KeeperException.NodeExistsException e) {
                // created by someone else meanwhile: fall through to the ACL
            }
        } else if (acl == null) {
            out.println("exists  " + path);
        }
        if (acl != null) {
            client.setACL().withACL(acl).forPath(path);
            out.println("exists  " + path + describe(acl));
        }
    }

    private static void lockChildren(CuratorFramework client, PrintWriter out, String parent, List<ACL> acl)
            throws Exception {
        int n = 0;
        for (String child : client.getChildren().forPath(parent)) {
            try {
                client.setACL().withACL(acl).forPath(parent + "/" + child);
                n++;
            } catch (KeeperException.NoNodeException e) {
                // deleted meanwhile
            }
        }
        if (n > 0) {
            out.println("locked  " + n + " znodes under " + parent);
        }
    }

    static String describe(List<ACL> acl) {
        if (acl == null) {
            return "";
        }
        return "  acl " + acl.stream().map(InitCommand::describe).collect(Collectors.joining(", "));
    }

    static String describe(ACL a) {
        String id = a.getId().getScheme() + ":" + a.getId().getId();
        if (a.getId().getScheme().equals(ZkAuth.SCHEME)) {
            int colon = a.getId().getId().indexOf(':');
            id = ZkAuth.SCHEME + ":" + (colon < 0 ? a.getId().getId() : a.getId().getId().substring(0, colon));
        }
        return id + "=" + perms(a.getPerms());
    }

    private static String perms(int p) {
        if (p == ZooDefs.Perms.ALL) {
            return "all";
        }
        StringBuilder b = new StringBuilder();
        b.append((p & ZooDefs.Perms.READ) != 0 ? "r" : "");
        b.append((p & ZooDefs.Perms.WRITE) != 0 ? "w" : "");
        b.append((p & ZooDefs.Perms.CREATE) != 0 ? "c" : "");
        b.append((p & ZooDefs.Perms.DELETE) != 0 ? "d" : "");
        b.append((p & ZooDefs.Perms.ADMIN) != 0 ? "a" : "");
        return b.toString();
    }
}
