package io.zkgate.gateway.proxy;

import io.zkgate.gateway.routing.RequestView;
import jakarta.servlet.http.HttpServletRequest;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;

/** A servlet request as the router sees it, with the client's address resolved. Confined to its request. */
record ServletRequestView(HttpServletRequest request, String clientIp) implements RequestView {
    @Override
    public String method() {
        return request.getMethod();
    }

    @Override
    public String host() {
        return request.getServerName();
    }

    @Override
    public String path() {
        return request.getRequestURI(); // canonical: CanonicalPathHandler replaced the path as sent
    }

    @Override
    public String query() {
        return request.getQueryString();
    }

    @Override
    public String clientAddress() {
        return request.getRemoteAddr();
    }

    @Override
    public String header(String name) {
        return request.getHeader(name);
    }

    @Override
    public List<String> headerValues(String name) {
        Enumeration<String> values = request.getHeaders(name);
        return values == null ? List.of() : Collections.list(values);
    }

    @Override
    public long contentLength() {
        return request.getContentLengthLong();
    }

    @Override
    public boolean secure() {
        return request.isSecure();
    }
}
