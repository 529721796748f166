package io.zkgate.gateway.proxy;

import io.zkgate.gateway.routing.ResponseView;
import jakarta.servlet.http.HttpServletResponse;

/** A servlet response's headers as a route's {@code on_response} sees them. Confined to its request. */
record ServletResponseView(HttpServletResponse response) implements ResponseView {
    @Override
    public String header(String name) {
        return response.getHeader(name);
    }

    @Override
    public void setHeader(String name, String value) {
        response.setHeader(name, value);
    }

    @Override
    public void removeHeader(String name) {
        response.setHeader(name, null);
    }
}
