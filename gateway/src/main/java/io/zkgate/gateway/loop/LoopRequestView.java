package io.zkgate.gateway.loop;

import io.zkgate.gateway.routing.RequestView;
import java.util.List;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;

/**
 * A request parsed by the event loop, as the router sees it (public for the benchmarks that measure what the loop
 * does). Immutable once parsed; confined to its loop.
 */
public record LoopRequestView(String method, String host, String path, String query, String clientAddress,
        String clientIp, HttpFields headers, boolean secure) implements RequestView {

    @Override
    public String header(String name) {
        return headers.get(name);
    }

    @Override
    public List<String> headerValues(String name) {
        return headers.getValuesList(name);
    }

    @Override
    public long contentLength() {
        return headers.getLongField(HttpHeader.CONTENT_LENGTH);
    }

    @Override
    public boolean mayBlock() {
        return false;
    }
}
