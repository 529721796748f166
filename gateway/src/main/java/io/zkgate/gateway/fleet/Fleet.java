package io.zkgate.gateway.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.zkgate.gateway.control.RouteState;
import io.zkgate.gateway.routing.Snapshot;
import io.zkgate.schema.ZnodeLayout;
import java.io.Closeable;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.curator.framework.recipes.nodes.PersistentNode;
import org.apache.zookeeper.CreateMode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fleet view: this gateway's ephemeral {@code /zkgate/gateways/<id>} (address, start time, the route changes it
 * has applied, the route edits it refused and why), kept by Curator's {@link PersistentNode} across session loss, and a cache of every gateway's node.
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
    private final AtomicReference<Applied> pending = new AtomicReference<>();
    private volatile Supplier<Map<String, String>> refusals = Map::of;
    private volatile FleetSize size = new FleetSize();
    private PersistentNode node;
    private CuratorCache members;
    /** What the node holds now, apart from timestamps; touched by the writer thread only. */
    private String publishedKey;

    /** What a published snapshot applied. */
    private record Applied(long routesZxid, int routes, long snapshotVersion) {}

    public Fleet(ZnodeLayout layout, String gatewayId, String address, String admin, String version) {
        this.layout = layout;
        this.gatewayId = gatewayId;
        this.address = address;
        this.admin = admin;
        this.version = version;
    }

    public void start(CuratorFramework client) {
        node = new PersistentNode(client, CreateMode.EPHEMERAL, false, layout.gatewayPath(gatewayId),
                status(0, 0, 0, Map.of()));
        node.start();
        members = CuratorCache.build(client, layout.gatewaysPath());
        members.listenable().addListener(CuratorCacheListener.builder()
                .forAll((type, before, after) -> recount())
                .forInitialized(this::recount)
                .build());
        members.start();
        log.info("fleet: this gateway is {}", layout.gatewayPath(gatewayId));
    }

    public String gatewayId() {
        return gatewayId;
    }

    /**
     * Keeps {@code into} at the number of gateway znodes from now on, recounted on every change the cache sees
     * (within ZooKeeper's notification time of a gateway's node appearing or its session expiring). Call before
     * {@link #start}.
     */
    public void countInto(FleetSize into) {
        this.size = into;
    }

    private void recount() {
        CuratorCache cache = members;
        if (cache != null) {
            size.counted((int) cache.stream()
                    .filter(cd -> ZnodeLayout.childName(layout.gatewaysPath(), cd.getPath()) != null)
                    .count());
        }
    }

    /**
     * Where the status gets the route edits this gateway refused (route id to reason), so that the fleet view can
     * tell a refused edit from a gateway that lags. Called from the writer thread, never from the control path.
     */
    public void refusals(Supplier<Map<String, String>> refusedRoutes) {
        this.refusals = refusedRoutes;
    }

    /** The refused edits among route states: route id to the reason, without the znode path it starts with. */
    public static Map<String, String> refused(Map<String, RouteState> states) {
        Map<String, String> out = new TreeMap<>();
        states.forEach((id, st) -> {
            if (st.rejection() != null) {
                String reason = st.rejection();
                String path = st.latest() == null ? null : st.latest().getPath();
                out.put(id, path != null && reason.startsWith(path + ": ") ? reason.substring(path.length() + 2)
                        : reason);
            }
        });
        return out;
    }

    /** Publishes what the snapshot applied, when it differs from what was published; called by the control path. */
    public void applied(Snapshot snapshot) {
        if (node == null || !snapshot.synced()) {
            return;
        }
        pending.set(new Applied(snapshot.routesZxid(), snapshot.routes().entries().size(), snapshot.version()));
        writer.execute(this::flush);
    }

    private void flush() {
        Applied applied = pending.getAndSet(null);
        if (applied == null) {
            return;
        }
        Map<String, String> refused;
        try {
            refused = new TreeMap<>(refusals.get());
        } catch (RuntimeException e) {
            log.debug("fleet: refused routes unavailable: {}", e.toString());
            refused = Map.of();
        }
        String key = applied.routesZxid() + "/" + applied.routes() + "/" + refused;
        if (key.equals(publishedKey)) {
            return;
        }
        try {
            if (node.waitForInitialCreate(10, TimeUnit.SECONDS)) {
                node.setData(status(applied.routesZxid(), applied.routes(), applied.snapshotVersion(), refused));
                publishedKey = key;
            } else {
                pending.compareAndSet(null, applied);
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

    private byte[] status(long routesZxid, int routes, long snapshotVersion, Map<String, String> refused) {
        ObjectNode n = JSON.createObjectNode();
        n.put("id", gatewayId);
        n.put("address", address);
        n.put("admin", admin);
        n.put("started", started.toString());
        n.put("version", version);
        n.put("appliedRouteZxid", routesZxid);
        n.put("routes", routes);
        n.put("snapshot", snapshotVersion);
        ObjectNode refusedNode = n.putObject("refusedRoutes");
        refused.forEach(refusedNode::put);
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
