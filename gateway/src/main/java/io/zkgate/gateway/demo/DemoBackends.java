package io.zkgate.gateway.demo;

import io.zkgate.agent.ServiceRegistration;
import io.zkgate.schema.Route;
import io.zkgate.schema.RouteCodec;
import io.zkgate.schema.ZnodeLayout;
import java.io.Closeable;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code --demo}: two in-process backends answering with their own name, registered as service {@code demo}
 * through curator-x-discovery, and route {@code demo} for {@code /demo/} (written only if absent, so an operator's
 * edit survives restarts). Thread-safe for start and close.
 */
public final class DemoBackends implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(DemoBackends.class);
    public static final String SERVICE = "demo";
    public static final String ROUTE = "demo";

    private final List<Server> servers = new ArrayList<>();
    private final List<ServiceRegistration> registrations = new ArrayList<>();

    private DemoBackends() {}

    /**
     * @param removeStale delete leftover {@code demo} instances first (only safe with the embedded ZooKeeper, where
     *                    a killed run's ephemeral nodes outlive it until its session expires)
     */
    public static DemoBackends start(CuratorFramework client, ZnodeLayout layout, boolean removeStale) throws Exception {
        DemoBackends demo = new DemoBackends();
        try {
            if (removeStale && client.checkExists().forPath(layout.servicePath(SERVICE)) != null) {
                for (String child : client.getChildren().forPath(layout.servicePath(SERVICE))) {
                    client.delete().quietly().forPath(layout.servicePath(SERVICE) + "/" + child);
                }
            }
            for (int i = 1; i <= 2; i++) {
                String name = "demo-" + i;
                Server server = backend(name);
                demo.servers.add(server);
                int port = ((ServerConnector) server.getConnectors()[0]).getLocalPort();
                demo.registrations.add(ServiceRegistration.register(client, layout.servicesPath(), SERVICE, name,
                        "127.0.0.1", port, 1, Map.of("demo", "true")));
            }
            writeRouteIfAbsent(client, layout);
            return demo;
        } catch (Exception e) {
            demo.close();
            throw e;
        }
    }

    private static Server backend(String name) throws Exception {
        QueuedThreadPool pool = new QueuedThreadPool(16, 2);
        pool.setName(name);
        Server server = new Server(pool);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        ServerConnector connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(http));
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        byte[] body = (name + "\n").getBytes(StandardCharsets.UTF_8);
        server.setHandler(new Handler.Abstract.NonBlocking() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; charset=utf-8");
                response.getHeaders().put("X-Demo-Backend", name);
                response.write(true, ByteBuffer.wrap(body), callback);
                return true;
            }
        });
        server.start();
        return server;
    }

    private static void writeRouteIfAbsent(CuratorFramework client, ZnodeLayout layout) throws Exception {
        String path = layout.routePath(ROUTE);
        Route route = new Route(ROUTE, new Route.Match(null, "/demo/", Set.of()), SERVICE, true, null, null, null, null);
        try {
            client.create().creatingParentsIfNeeded().forPath(path, RouteCodec.toJson(route));
            log.info("demo: route {} written for /demo/ -> service {}", path, SERVICE);
        } catch (KeeperException.NodeExistsException e) {
            log.info("demo: route {} already exists, left as it is", path);
        }
    }

    /** Re-registrations of the demo instances so far. */
    public long reRegistrations() {
        return registrations.stream().mapToLong(ServiceRegistration::reRegistrations).sum();
    }

    @Override
    public void close() {
        registrations.forEach(ServiceRegistration::close);
        for (Server s : servers) {
            try {
                s.stop();
            } catch (Exception e) {
                log.warn("demo backend did not stop cleanly: {}", e.toString());
            }
        }
    }
}
