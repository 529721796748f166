package io.zkgate.gateway.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.zkgate.gateway.routing.Snapshot;
import io.zkgate.schema.ZnodeLayout;
import java.io.Closeable;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.nodes.PersistentNode;
import org.apache.zookeeper.CreateMode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fleet view: this gateway's ephemeral {@code /zkgate/gateways/<id>} (address, start time, the route changes it
 * has applied), kept by Curator's {@link PersistentNode} across session loss, and a cache of every gateway's node.
 * Writes happen on a private thread, never on the request path. Thread-safe.
 */
public final class Fleet implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(Fleet.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ZnodeLayout layout;
    private final String gatewayId;
    private final String address;
    private final String admin;
    private final Instant started = Instant.now();
    private final String version;
    private final ExecutorService writer = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "zkgate-fleet");
        t.setDaemon(true);
        return t;
    });
    private final AtomicReference<byte[]> pending = new AtomicReference<>();
    private PersistentNode node;
    private CuratorCache members;
    private volatile long publishedZxid = -1;
    private volatile int publishedRoutes = -1;

    public Fleet(ZnodeLayout layout, String gatewayId, String address, String admin, String version) {
        this.layout = layout;
        this.gatewayId = gatewayId;
        this.address = address;
        this.admin = admin;
        this.version = version;
    }

    public void start(CuratorFramework client) {
        node = new PersistentNode(client, CreateMode.EPHEMERAL, false, layout.gatewayPath(gatewayId),
                status(0, 0, 0));
        node.start();
        members = CuratorCache.build(client, layout.gatewaysPath());
        members.start();
        log.info("fleet: this gateway is {}", layout.gatewayPath(gatewayId));
    }

    public String gatewayId() {
        return gatewayId;
    }

    /** Publishes what the snapshot applied, when it differs from what was published; called by the control path. */
    public void applied(Snapshot snapshot) {
        int routes = snapshot.routes().entries().size();
        if (node == null || !snapshot.synced()
                || (snapshot.routesZxid() == publishedZxid && routes == publishedRoutes)) {
            return;
        }
        publishedZxid = snapshot.routesZxid();
        publishedRoutes = routes;
        pending.set(status(snapshot.routesZxid(), routes, snapshot.version()));
        writer.execute(this::flush);
    }

    private void flush() {
        byte[] data = pending.getAndSet(null);
        if (data == null) {
            return;
        }
        try {
            if (node.waitForInitialCreate(10, TimeUnit.SECONDS)) {
                node.setData(data);
            } else {
                pending.compareAndSet(null, data);
            }
        } catch (Exception e) {
            log.warn("fleet: could not update {}: {}", layout.gatewayPath(gatewayId), e.toString());
        }
    }

    /** Every gateway's status as published, sorted by id. */
    public List<JsonNode> members() {
        List<JsonNode> out = new ArrayList<>();
        if (members == null) {
            return out;
        }
        members.stream()
                .filter(cd -> ZnodeLayout.childName(layout.gatewaysPath(), cd.getPath()) != null)
                .sorted((a, b) -> a.getPath().compareTo(b.getPath()))
                .forEach(cd -> out.add(parse(cd)));
        return out;
    }

    private static JsonNode parse(ChildData cd) {
        try {
            return JSON.readTree(cd.getData());
        } catch (IOException | RuntimeException e) {
            ObjectNode bad = JSON.createObjectNode();
            bad.put("id", ZnodeLayout.childName(cd.getPath().substring(0, cd.getPath().lastIndexOf('/')), cd.getPath()));
            bad.put("error", "unreadable status: " + e.getMessage());
            return bad;
        }
    }

    private byte[] status(long routesZxid, int routes, long snapshotVersion) {
        ObjectNode n = JSON.createObjectNode();
        n.put("id", gatewayId);
        n.put("address", address);
        n.put("admin", admin);
        n.put("started", started.toString());
        n.put("version", version);
        n.put("appliedRouteZxid", routesZxid);
        n.put("routes", routes);
        n.put("snapshot", snapshotVersion);
        n.put("updated", Instant.now().toString());
        try {
            return JSON.writeValueAsBytes(n);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        writer.shutdownNow();
        try {
            if (members != null) {
                members.close();
            }
            if (node != null) {
                node.close();
            }
        } catch (IOException e) {
            log.warn("fleet: closing {} failed: {}", layout.gatewayPath(gatewayId), e.toString());
        }
    }
}
