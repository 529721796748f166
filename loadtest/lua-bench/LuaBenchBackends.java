import io.zkgate.agent.ServiceRegistration;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
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

/**
 * The other side of lua-bench.sh, run in its own JVM from the gateway jar's class path: two Jetty backends on
 * 127.0.0.1 answering "ok", registered as service "bench" in the gateway's ZooKeeper, the example scripts
 * header-injection and api-key plus a script that does nothing, and four routes to the same service: /plain (no
 * script), /empty (the do-nothing script), /inject and /apikey.
 * Runs until its standard input closes.
 *
 * Usage: java -cp zkgate-gateway.jar LuaBenchBackends.java ZK_CONNECT SCRIPTS_DIR
 * Runs on its main thread; the backends are thread-safe Jetty servers.
 */
public class LuaBenchBackends {
    public static void main(String[] args) throws Exception {
        CuratorFramework zk = CuratorFrameworkFactory.newClient(args[0], new RetryOneTime(500));
        zk.start();
        zk.blockUntilConnected();
        List<Server> servers = new ArrayList<>();
        List<ServiceRegistration> registrations = new ArrayList<>();
        for (int i = 1; i <= 2; i++) {
            Server server = backend();
            servers.add(server);
            int port = ((ServerConnector) server.getConnectors()[0]).getLocalPort();
            registrations.add(ServiceRegistration.register(zk, "/services", "bench", "bench-" + i, "127.0.0.1", port, 1,
                    Map.of()));
        }
        Path scripts = Path.of(args[1]);
        for (String name : new String[] {"header-injection", "api-key"}) {
            put(zk, "/zkgate/scripts/" + name, Files.readString(scripts.resolve(name + ".lua")));
        }
        put(zk, "/zkgate/scripts/empty", "function on_request(req) end\n");
        put(zk, "/zkgate/routes/plain", route("plain", null));
        put(zk, "/zkgate/routes/empty", route("empty", "empty"));
        put(zk, "/zkgate/routes/inject", route("inject", "header-injection"));
        put(zk, "/zkgate/routes/apikey", route("apikey", "api-key"));
        System.out.println("READY");
        System.out.flush();
        while (System.in.read() >= 0) {
            // wait for the script to close our input
        }
        registrations.forEach(ServiceRegistration::close);
        for (Server s : servers) {
            s.stop();
        }
        zk.close();
    }

    private static String route(String id, String script) {
        return "{\"id\":\"" + id + "\",\"match\":{\"pathPrefix\":\"/" + id + "\"},\"service\":\"bench\",\"stripPrefix\":true"
                + (script == null ? "" : ",\"script\":\"" + script + "\"") + "}";
    }

    private static void put(CuratorFramework zk, String path, String text) throws Exception {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        try {
            zk.create().creatingParentsIfNeeded().forPath(path, bytes);
        } catch (KeeperException.NodeExistsException e) {
            zk.setData().forPath(path, bytes);
        }
    }

    private static Server backend() throws Exception {
        QueuedThreadPool pool = new QueuedThreadPool(16, 2);
        Server server = new Server(pool);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        ServerConnector connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(http));
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        byte[] body = "ok\n".getBytes(StandardCharsets.UTF_8);
        server.setHandler(new Handler.Abstract.NonBlocking() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain");
                response.write(true, ByteBuffer.wrap(body), callback);
                return true;
            }
        });
        server.start();
        return server;
    }
}
