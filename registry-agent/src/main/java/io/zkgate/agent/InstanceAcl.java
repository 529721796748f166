package io.zkgate.agent;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.curator.framework.api.ACLProvider;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;

/**
 * Digest-authenticated agents: the instance node and the service node the agent may create above it are the
 * creating user's to change (deleting a node needs the parent's permission), everyone may read them; nodes
 * further up are left open. Immutable.
 */
final class InstanceAcl implements ACLProvider {
    private static final List<ACL> INSTANCE;

    static {
        List<ACL> acl = new ArrayList<>(ZooDefs.Ids.CREATOR_ALL_ACL);
        acl.addAll(ZooDefs.Ids.READ_ACL_UNSAFE);
        INSTANCE = Collections.unmodifiableList(acl); // not List.copyOf: ZooKeeper asks contains(null)
    }

    private final String instancePath;
    private final String servicePath;

    InstanceAcl(String instancePath) {
        this.instancePath = instancePath;
        this.servicePath = instancePath.substring(0, instancePath.lastIndexOf('/'));
    }

    @Override
    public List<ACL> getDefaultAcl() {
        return ZooDefs.Ids.OPEN_ACL_UNSAFE;
    }

    @Override
    public List<ACL> getAclForPath(String p) {
        return instancePath.equals(p) || servicePath.equals(p) ? INSTANCE : ZooDefs.Ids.OPEN_ACL_UNSAFE;
    }
}
