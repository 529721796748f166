package io.zkgate.gateway.support;

import java.util.function.Function;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/** The one way test backends start: a real Jetty server on loopback (127.0.0.1) with one acceptor and one selector. */
public final class LoopbackServer {
    private LoopbackServer() {}

    /** Starts {@code handler} on {@code port} (0: a free one), its threads named {@code backend-<name>}. */
    public static Server start(String name, int port, Handler handler) throws Exception {
        return start(name, port, server -> handler);
    }

    /** As {@link #start(String, int, Handler)}, for a handler that needs its server to be built. */
    public static Server start(String name, int port, Function<Server, Handler> handlerFor) throws Exception {
        return start("127.0.0.1", name, port, handlerFor);
    }

    /** As {@link #start(String, int, Function)} on another loopback address, such as {@code ::1}. */
    public static Server start(String host, String name, int port, Function<Server, Handler> handlerFor)
            throws Exception {
        QueuedThreadPool pool = new QueuedThreadPool(32, 2);
        pool.setName("backend-" + name);
        Server server = new Server(pool);
        ServerConnector connector = new ServerConnector(server, 1, 1);
        connector.setHost(host);
        connector.setPort(port);
        server.addConnector(connector);
        server.setHandler(handlerFor.apply(server));
        server.start();
        return server;
    }

    public static int port(Server server) {
        return ((ServerConnector) server.getConnectors()[0]).getLocalPort();
    }

    /**
     * Stops abruptly: the listening socket and every connection close, as when the process dies. Accepting stops
     * first, and the selector gets a moment to register a connection the acceptor had just taken: stopped at that
     * moment, Jetty never registers it and so never closes it, and a client's request on it waits for an answer
     * that never comes, which a killed process would not do.
     */
    public static void stop(Server server) {
        try {
            for (var connector : server.getConnectors()) {
                if (connector instanceof ServerConnector c) {
                    c.setAccepting(false);
                }
            }
            Thread.sleep(20);
            server.stop();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
