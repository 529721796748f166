package io.zkgate.gateway.proxy;

import io.zkgate.gateway.routing.RequestView;
import java.util.List;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;

/**
 * A Jetty core request (a WebSocket handshake, which never reaches the servlet) as the router sees it, with the
 * client's address resolved.
 */
record CoreRequestView(Request request, String clientIp) implements RequestView {
    @Override
    public String method() {
        return request.getMethod();
    }

    @Override
    public String host() {
        return Request.getServerName(request);
    }

    @Override
    public String path() {
        return request.getHttpURI().getPath(); // canonical: CanonicalPathHandler replaced the path as sent
    }

    @Override
    public String query() {
        return request.getHttpURI().getQuery();
    }

    @Override
    public String clientAddress() {
        return Request.getRemoteAddr(request);
    }

    @Override
    public String header(String name) {
        return request.getHeaders().get(name);
    }

    @Override
    public List<String> headerValues(String name) {
        return request.getHeaders().getValuesList(name);
    }

    @Override
    public long contentLength() {
        return request.getHeaders().getLongField(HttpHeader.CONTENT_LENGTH);
    }

    @Override
    public boolean secure() {
        return request.isSecure();
    }
}
