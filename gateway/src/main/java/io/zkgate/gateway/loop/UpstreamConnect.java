package io.zkgate.gateway.loop;

import io.zkgate.gateway.loop.LoopConnector.LoopSelector;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;

/** A connection to a backend being opened for one exchange; told of the outcome on the event loop's thread. */
interface UpstreamConnect {
    /** The channel connected: the upstream connection to serve it, already handed its first exchange. */
    Connection newConnection(EndPoint endPoint, LoopSelector loop);

    /** Connecting failed (refused, unreachable, timed out); called on the event loop's thread. */
    void failed(Throwable failure);

    /** The event loop that asked for the connection. */
    LoopSelector loop();
}
