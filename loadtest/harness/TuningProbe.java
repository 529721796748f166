import io.zkgate.gateway.control.ControlPlane;
import io.zkgate.gateway.control.OutlierSettings;
import io.zkgate.gateway.control.RouteDefaults;
import io.zkgate.gateway.control.ZooKeeperStatus;
import io.zkgate.gateway.metrics.GatewayMetrics;
import io.zkgate.gateway.proxy.GatewayProxyServlet;
import io.zkgate.gateway.routing.RequestRouter;
import io.zkgate.gateway.routing.SnapshotRef;
import io.zkgate.schema.ZnodeLayout;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * Tuning probe: the gateway's proxy path (its servlet, snapshot builder and metrics, fed by ZooKeeper) in a Jetty
 * server built like the gateway's, with the Jetty knobs the gateway has no flags for yet. It measures what such flags
 * would buy before anyone adds them. No admin server, no fleet entry, no embedded ZooKeeper.
 * Run from the gateway jar's class path:
 * {@code java [JVM options] -cp zkgate-gateway.jar TuningProbe.java --zk HOST:PORT --port N [--knob value]...}
 *
 * Knobs (default: what the gateway does today):
 *   --threads 200            QueuedThreadPool maximum threads
 *   --min-threads 8          QueuedThreadPool minimum threads
 *   --reserved-threads -1    threads the pool keeps reserved for the selectors' hand-off (-1: Jetty's heuristic)
 *   --acceptors -1           proxy connector acceptor threads (-1: Jetty's default)
 *   --selectors -1           proxy connector selectors (-1: Jetty's default)
 *   --client-selectors 1     upstream HttpClient selectors (servlet init parameter "selectors")
 *   --client-threads -       upstream HttpClient's own thread pool size ("maxThreads"; "-": share the server's)
 *   --output-buffer 32768    servlet response output buffer (HttpConfiguration.outputBufferSize)
 *   --response-buffer -      HttpClient response buffer ("responseBufferSize"; "-": Jetty's default)
 *   --request-buffer -       HttpClient request buffer ("requestBufferSize"; "-": Jetty's default)
 *   --max-connections 256    pooled connections per backend ("maxConnections")
 *   --idle-timeout 30000     idle pooled upstream connection timeout, ms ("idleTimeout")
 *   --metrics true           record request metrics
 *   --virtual-threads false  run blocking tasks on virtual threads (JDK 21+)
 *   --zkgate-root /zkgate
 */
public class TuningProbe {
    public static void main(String[] args) throws Exception {
        Map<String, String> o = new HashMap<>(Map.ofEntries(
                Map.entry("zk", "127.0.0.1:2181"), Map.entry("port", "8080"), Map.entry("host", "127.0.0.1"),
                Map.entry("zkgate-root", "/zkgate"), Map.entry("threads", "200"), Map.entry("min-threads", "8"),
                Map.entry("reserved-threads", "-1"), Map.entry("acceptors", "-1"), Map.entry("selectors", "-1"),
                Map.entry("client-selectors", "1"), Map.entry("client-threads", "-"),
                Map.entry("output-buffer", "32768"), Map.entry("response-buffer", "-"),
                Map.entry("request-buffer", "-"), Map.entry("max-connections", "256"),
                Map.entry("idle-timeout", "30000"), Map.entry("metrics", "true"),
                Map.entry("virtual-threads", "false")));
        for (int i = 0; i < args.length; i += 2) {
            String key = args[i].replaceFirst("^--", "");
            if (!o.containsKey(key) || i + 1 >= args.length) {
                System.err.println("TuningProbe: unknown option or missing value: " + args[i]);
                System.exit(2);
            }
            o.put(key, args[i + 1]);
        }

        CuratorFramework curator = CuratorFrameworkFactory.builder().connectString(o.get("zk"))
                .sessionTimeoutMs(30_000).connectionTimeoutMs(15_000)
                .retryPolicy(new ExponentialBackoffRetry(200, 10, 5_000)).build();
        curator.start();
        ZnodeLayout layout = new ZnodeLayout(o.get("zkgate-root"), "/services");
        SnapshotRef snapshots = new SnapshotRef();
        GatewayMetrics metrics = new GatewayMetrics();
        ZooKeeperStatus zkStatus = new ZooKeeperStatus(o.get("zk"));
        ControlPlane control = new ControlPlane(layout, snapshots, new RouteDefaults(15_000, 1, 20, 10), 500,
                metrics, zkStatus, 100_000, OutlierSettings.defaults());

        QueuedThreadPool threads = new QueuedThreadPool(Integer.parseInt(o.get("threads")),
                Integer.parseInt(o.get("min-threads")));
        threads.setName("zkgate");
        threads.setReservedThreads(Integer.parseInt(o.get("reserved-threads")));
        if (Boolean.parseBoolean(o.get("virtual-threads"))) {
            threads.setVirtualThreadsExecutor(
                    (java.util.concurrent.Executor) Executors.class.getMethod("newVirtualThreadPerTaskExecutor")
                            .invoke(null));
        }
        Server server = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        http.setRequestHeaderSize(16384);
        http.setIdleTimeout(30_000);
        http.setOutputBufferSize(Integer.parseInt(o.get("output-buffer")));
        ServerConnector connector = new ServerConnector(server, Integer.parseInt(o.get("acceptors")),
                Integer.parseInt(o.get("selectors")), new HttpConnectionFactory(http));
        connector.setHost(o.get("host"));
        connector.setPort(Integer.parseInt(o.get("port")));
        connector.setIdleTimeout(30_000);
        server.addConnector(connector);

        ServletContextHandler context = new ServletContextHandler("/");
        RequestRouter router = new RequestRouter(snapshots, Boolean.parseBoolean(o.get("metrics")) ? metrics : null,
                10L * 1024 * 1024, control::requestEjection, 5);
        GatewayProxyServlet servlet = new GatewayProxyServlet(router, new GatewayProxyServlet.UpstreamClientSettings(1000));
        ServletHolder holder = new ServletHolder("proxy", servlet);
        holder.setAsyncSupported(true);
        holder.setInitParameter("maxConnections", o.get("max-connections"));
        holder.setInitParameter("idleTimeout", o.get("idle-timeout"));
        holder.setInitParameter("timeout", "15000");
        holder.setInitParameter("selectors", o.get("client-selectors"));
        holder.setInitParameter("maxThreads", o.get("client-threads"));
        if (!"-".equals(o.get("response-buffer"))) {
            holder.setInitParameter("responseBufferSize", o.get("response-buffer"));
        }
        if (!"-".equals(o.get("request-buffer"))) {
            holder.setInitParameter("requestBufferSize", o.get("request-buffer"));
        }
        holder.setInitOrder(0);
        context.addServlet(holder, "/*");
        server.setHandler(context);
        server.start();
        control.start(curator);
        System.out.println("probe listening on " + o.get("host") + ":" + connector.getLocalPort() + " " + o);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                server.stop();
            } catch (Exception ignored) {
                // exiting anyway
            }
            control.close();
            curator.close();
        }));
        server.join();
    }
}
