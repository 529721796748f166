package io.zkgate.schema.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.schema.RouteCodec;
import io.zkgate.schema.ServiceInstance;
import io.zkgate.schema.ServiceInstanceCodec;
import io.zkgate.schema.ZkAuth;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** With {@code init --acl} only operators change routes and scripts; everybody, gateways included, still reads. */
class AclTest extends ZkTestSupport {
    private static final byte[] EVIL = "{\"id\":\"evil\",\"match\":{\"pathPrefix\":\"/\"},\"service\":\"evil\"}"
            .getBytes(StandardCharsets.UTF_8);

    @BeforeEach
    void lockAndFill() {
        CtlRun init = ctl("--auth", OPS, "init", "--acl");
        assertEquals(0, init.code(), init.toString());
        write(dir, "orders.yaml", route("orders", "/api/orders", "orders") + "script: auth\n");
        assertEquals(0, ctl("--auth", OPS, "scripts", "put", "auth", resource("scripts/auth.lua").toString()).code());
        CtlRun apply = ctl("--auth", OPS, "routes", "apply", dir.toString());
        assertEquals(0, apply.code(), apply.toString());
    }

    @Test
    void theTreeCarriesTheOperatorDigestAllAndWorldRead() throws Exception {
        List<ACL> expected = List.of(new ACL(ZooDefs.Perms.ALL, ZkAuth.parse(OPS).id()),
                new ACL(ZooDefs.Perms.READ, ZooDefs.Ids.ANYONE_ID_UNSAFE));
        for (String path : List.of(LAYOUT.zkgateRoot(), LAYOUT.routesPath(), LAYOUT.scriptsPath(),
                LAYOUT.routePath("orders"), LAYOUT.scriptPath("auth"))) {
            // ZooKeeper shows the digest only to a client with ADMIN rights, such as the operator.
            assertEquals(expected, admin.getACL().forPath(path), path);
        }
    }

    @Test
    void theCliTakesTheOperatorIdentityAsZkAuthLikeTheGatewayAndTheAgent() {
        write(dir, "orders.yaml", route("orders", "/api/orders", "orders") + "script: auth\nstripPrefix: true\n");

        CtlRun apply = ctl("--zk-auth", OPS, "routes", "apply", dir.toString());

        assertEquals(0, apply.code(), apply.toString());
        assertTrue(apply.out().contains("~ changed orders"), apply.out());
    }

    @Test
    void anUnauthenticatedClientCannotCreateChangeOrDeleteARoute() {
        assertThrows(KeeperException.NoAuthException.class,
                () -> observer.create().forPath(LAYOUT.routePath("evil"), EVIL));
        assertThrows(KeeperException.NoAuthException.class,
                () -> observer.setData().forPath(LAYOUT.routePath("orders"), EVIL));
        assertThrows(KeeperException.NoAuthException.class,
                () -> observer.delete().forPath(LAYOUT.routePath("orders")));
        assertThrows(KeeperException.NoAuthException.class,
                () -> observer.setACL().withACL(ZooDefs.Ids.OPEN_ACL_UNSAFE).forPath(LAYOUT.routePath("orders")));
    }

    @Test
    void anUnauthenticatedClientCannotCreateChangeOrDeleteAScript() {
        byte[] lua = "return 1".getBytes(StandardCharsets.UTF_8);
        assertThrows(KeeperException.NoAuthException.class,
                () -> observer.create().forPath(LAYOUT.scriptPath("evil"), lua));
        assertThrows(KeeperException.NoAuthException.class,
                () -> observer.setData().forPath(LAYOUT.scriptPath("auth"), lua));
        assertThrows(KeeperException.NoAuthException.class,
                () -> observer.delete().forPath(LAYOUT.scriptPath("auth")));
    }

    @Test
    void aClientWithTheWrongPasswordIsRefusedToo() throws Exception {
        try (CuratorFramework wrong = client("ops:wrong")) {
            assertThrows(KeeperException.NoAuthException.class,
                    () -> wrong.setData().forPath(LAYOUT.routePath("orders"), EVIL));
        }
    }

    @Test
    void anUnauthenticatedClientStillReadsRoutesAndScriptsAsTheGatewayDoes() throws Exception {
        assertEquals(Set.of("orders"), Set.copyOf(observer.getChildren().forPath(LAYOUT.routesPath())));
        assertEquals("orders",
                RouteCodec.parse("zk", observer.getData().forPath(LAYOUT.routePath("orders")), "orders").service());
        assertNotNull(observer.getData().forPath(LAYOUT.scriptPath("auth")));
    }

    @Test
    void theCliWithoutCredentialsIsRefusedAndWritesNothing() throws Exception {
        Map<String, String> before = routesInZk();
        write(dir, "orders.yaml", route("orders", "/api/orders", "hijacked"));

        CtlRun apply = ctl("routes", "apply", dir.toString());
        CtlRun delete = ctl("routes", "delete", "orders");
        CtlRun put = ctl("scripts", "put", "auth", write(dir, "x.lua", "function on_request(req) end\n").toString());

        assertEquals(1, apply.code(), apply.toString());
        assertTrue(apply.err().contains("not authorised to change /zkgate/routes (give an operator's --auth"
                + " user:password); nothing was written"), apply.err());
        assertTrue(delete.err().contains("not authorised to change /zkgate/routes"), delete.err());
        assertTrue(put.err().contains("not authorised to change /zkgate/scripts/auth"), put.err());
        assertEquals(1, delete.code(), delete.toString());
        assertEquals(1, put.code(), put.toString());
        assertEquals(before, routesInZk());
        assertArrayEquals(java.nio.file.Files.readAllBytes(resource("scripts/auth.lua")),
                observer.getData().forPath(LAYOUT.scriptPath("auth")));
    }

    @Test
    void initAgainWithCredentialsFromTheEnvironmentChangesNothing() throws Exception {
        Map<String, Integer> before = versionsInZk();

        CtlRun again = CtlRun.of(Map.of("ZKGATE_ZK", server.getConnectString(), "ZKGATE_ZK_AUTH", OPS),
                "init", "--acl");

        assertEquals(0, again.code(), again.toString());
        assertEquals(before, versionsInZk());
        assertEquals(Set.of("orders"), routesInZk().keySet());
    }

    @Test
    void initAclWithoutCredentialsIsAUsageError() {
        CtlRun run = ctl("init", "--acl");

        assertEquals(2, run.code(), run.toString());
        assertTrue(run.err().contains("--acl needs --auth user:password"), run.err());
    }

    @Test
    void aRefusalFromZooKeeperThatTheCommandDoesNotExpectExitsOneWithASentence() throws Exception {
        assertEquals(0, ctl("--auth", OPS, "services", "grant", "orders", "orders-agent:pw").code());
        List<ACL> granted = admin.getACL().forPath(LAYOUT.servicePath("orders"));

        CtlRun other = ctl("--auth", "intruder:pw", "services", "grant", "orders", "intruder-agent:pw");

        assertEquals(1, other.code(), other.toString());
        assertEquals("zkgate-ctl: not authorised to change /services/orders (give an operator's --auth "
                + "user:password); nothing was written\n", other.err());
        assertEquals(granted, admin.getACL().forPath(LAYOUT.servicePath("orders")));
    }

    @Test
    void aGrantedAgentRegistersUnderItsOwnServiceOnlyAndEverybodyReadsIt() throws Exception {
        CtlRun lock = ctl("--auth", OPS, "init", "--acl", "--lock-services");
        assertEquals(0, lock.code(), lock.toString());
        CtlRun grant = ctl("--auth", OPS, "services", "grant", "orders", "orders-agent:pw");
        assertEquals(0, grant.code(), grant.toString());
        byte[] instance = ServiceInstanceCodec.toJson(
                new ServiceInstance("orders", "o-1", "10.0.0.1", 8081, 1, true, 1L, Map.of()));

        try (CuratorFramework agent = client("orders-agent:pw"); CuratorFramework other = client("users-agent:pw")) {
            agent.create().withMode(CreateMode.EPHEMERAL).forPath(LAYOUT.instancePath("orders", "o-1"), instance);
            assertThrows(KeeperException.NoAuthException.class, () -> other.create().withMode(CreateMode.EPHEMERAL)
                    .forPath(LAYOUT.instancePath("orders", "o-2"), instance));
            assertThrows(KeeperException.NoAuthException.class, () -> observer.create()
                    .withMode(CreateMode.EPHEMERAL).forPath(LAYOUT.instancePath("orders", "o-3"), instance));
            assertThrows(KeeperException.NoAuthException.class,
                    () -> agent.create().forPath(LAYOUT.servicePath("users"), new byte[0]));
            assertThrows(KeeperException.NoAuthException.class,
                    () -> observer.create().forPath(LAYOUT.servicePath("users"), new byte[0]));
            assertArrayEquals(instance, observer.getData().forPath(LAYOUT.instancePath("orders", "o-1")));
            agent.delete().forPath(LAYOUT.instancePath("orders", "o-1"));
        }
    }

    private static CuratorFramework client(String auth) throws InterruptedException {
        CuratorFramework c = CuratorFrameworkFactory.builder().connectString(server.getConnectString())
                .retryPolicy(new RetryOneTime(100)).authorization("digest", auth.getBytes(StandardCharsets.UTF_8))
                .build();
        c.start();
        c.blockUntilConnected();
        return c;
    }
}
