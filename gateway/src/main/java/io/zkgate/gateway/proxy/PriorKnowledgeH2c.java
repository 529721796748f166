package io.zkgate.gateway.proxy;

import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.MetaData;
import org.eclipse.jetty.http2.server.HTTP2CServerConnectionFactory;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConfiguration;

/**
 * HTTP/2 in plain text with prior knowledge (the client starts with the HTTP/2 preface, as gRPC clients do) on the
 * servlet engine's proxy port; an HTTP/1.1 {@code Upgrade: h2c} request is declined and served as HTTP/1.1, as
 * before (RFC 9113 deprecates that upgrade). Stateless beyond Jetty's factory.
 */
public final class PriorKnowledgeH2c extends HTTP2CServerConnectionFactory {
    public PriorKnowledgeH2c(HttpConfiguration http) {
        super(http);
    }

    @Override
    public Connection upgradeConnection(Connector connector, EndPoint endPoint, MetaData.Request request,
            HttpFields.Mutable responseFields) {
        // Jetty comes here for both: the preface parses as a "PRI * HTTP/2.0" request.
        return "PRI".equals(request.getMethod())
                ? super.upgradeConnection(connector, endPoint, request, responseFields) : null;
    }
}
