import jakarta.servlet.http.HttpServletRequest;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.ee10.proxy.AsyncProxyServlet;
import org.eclipse.jetty.ee10.proxy.ProxyServlet;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.proxy.ProxyHandler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * Bare Jetty reverse proxies, nothing of zkgate: round-robin over fixed backends, to compare the proxy styles the
 * gateway could be built on. Same thread pool and connector as the gateway.
 *   --mode async-servlet   ee10 AsyncProxyServlet (what the gateway extends)
 *   --mode servlet         ee10 ProxyServlet (blocking writes to the client on the HttpClient's thread)
 *   --mode core            core ProxyHandler.Reverse (no servlet layer; needs jetty-proxy on the class path)
 * Run: {@code java -cp zkgate-gateway.jar:jetty-proxy.jar BareProxy.java --port N --backends P1,P2 --mode M}
 */
public class BareProxy {
    public static void main(String[] args) throws Exception {
        int port = 8080;
        String mode = "async-servlet";
        List<String> backends = List.of();
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--port" -> port = Integer.parseInt(args[i + 1]);
                case "--mode" -> mode = args[i + 1];
                case "--backends" -> backends = List.of(args[i + 1].split(","));
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        List<String> bases = backends.stream().map(p -> "http://127.0.0.1:" + p).toList();
        AtomicInteger next = new AtomicInteger();

        QueuedThreadPool threads = new QueuedThreadPool(200, 8);
        threads.setName("bare");
        Server server = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(http));
        connector.setHost("127.0.0.1");
        connector.setPort(port);
        server.addConnector(connector);

        switch (mode) {
            case "core" -> server.setHandler(new ProxyHandler.Reverse(request -> HttpURI.build(
                    bases.get(Math.floorMod(next.getAndIncrement(), bases.size())) + request.getHttpURI().getPathQuery())));
            case "async-servlet", "servlet" -> {
                ServletContextHandler context = new ServletContextHandler("/");
                ProxyServlet servlet = "servlet".equals(mode) ? new ProxyServlet() {
                    @Override
                    protected String rewriteTarget(HttpServletRequest request) {
                        return target(bases, next, request);
                    }
                } : new AsyncProxyServlet() {
                    @Override
                    protected String rewriteTarget(HttpServletRequest request) {
                        return target(bases, next, request);
                    }
                };
                ServletHolder holder = new ServletHolder("proxy", servlet);
                holder.setAsyncSupported(true);
                holder.setInitParameter("maxConnections", "256");
                context.addServlet(holder, "/*");
                server.setHandler(context);
            }
            default -> throw new IllegalArgumentException("--mode: core, servlet or async-servlet");
        }
        server.start();
        System.out.println("bare " + mode + " proxy on 127.0.0.1:" + connector.getLocalPort() + " to " + bases);
        server.join();
    }

    private static String target(List<String> bases, AtomicInteger next, HttpServletRequest request) {
        String query = request.getQueryString();
        return bases.get(Math.floorMod(next.getAndIncrement(), bases.size())) + request.getRequestURI()
                + (query == null ? "" : "?" + query);
    }
}
