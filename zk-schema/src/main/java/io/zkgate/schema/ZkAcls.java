package io.zkgate.schema;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;

/**
 * The ACLs of a locked-down tree. Operators (digest identities) may do everything, everybody may read, so that
 * gateways need no credentials; a service's agent may register and unregister its own instances. Stateless.
 */
public final class ZkAcls {
    /** What a service's agent needs on {@code /services/<name>}: create and delete its instances, read, update. */
    public static final int AGENT_PERMS = ZooDefs.Perms.READ | ZooDefs.Perms.WRITE | ZooDefs.Perms.CREATE
            | ZooDefs.Perms.DELETE;

    private ZkAcls() {}

    /** Operators: all permissions; anyone: read. For the zkgate root, routes and scripts. */
    public static List<ACL> operatorsWriteWorldRead(Collection<ZkAuth> operators) {
        if (operators.isEmpty()) {
            throw new IllegalArgumentException("operators: empty (expected: at least one user:password)");
        }
        LinkedHashSet<ACL> acl = new LinkedHashSet<>();
        for (ZkAuth op : operators) {
            acl.add(new ACL(ZooDefs.Perms.ALL, op.id()));
        }
        acl.add(new ACL(ZooDefs.Perms.READ, ZooDefs.Ids.ANYONE_ID_UNSAFE));
        return List.copyOf(acl);
    }

    /** {@link #operatorsWriteWorldRead} plus the agent's {@link #AGENT_PERMS}. For {@code /services/<name>}. */
    public static List<ACL> serviceSubtree(Collection<ZkAuth> operators, ZkAuth agent) {
        List<ACL> acl = new ArrayList<>(operatorsWriteWorldRead(operators));
        acl.add(acl.size() - 1, new ACL(AGENT_PERMS, agent.id()));
        return List.copyOf(acl);
    }

    /**
     * Whether ZooKeeper hid the digests of this ACL ({@code user:x}), as it does for a reader without ADMIN rights;
     * such an ACL cannot be copied onto a new node.
     */
    public static boolean hidesDigests(List<ACL> acl) {
        for (ACL a : acl) {
            if (ZkAuth.SCHEME.equals(a.getId().getScheme()) && a.getId().getId().endsWith(":x")) {
                return true;
            }
        }
        return false;
    }

    /** Whether anyone at all (the world) may change or create under a node with this ACL. */
    public static boolean worldWritable(List<ACL> acl) {
        for (ACL a : acl) {
            if (a.getId().equals(ZooDefs.Ids.ANYONE_ID_UNSAFE)
                    && (a.getPerms() & (ZooDefs.Perms.WRITE | ZooDefs.Perms.CREATE | ZooDefs.Perms.DELETE)) != 0) {
                return true;
            }
        }
        return false;
    }
}
