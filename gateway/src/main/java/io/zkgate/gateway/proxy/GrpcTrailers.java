package io.zkgate.gateway.proxy;

import io.zkgate.gateway.routing.Grpc;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpVersion;

/**
 * The trailers an HTTP/2 client gets: the backend's own (gRPC's {@code grpc-status} and {@code grpc-message}
 * among them), read once the backend's response completed, or a gRPC status of the gateway's when the backend
 * failed mid-stream. A backend's trailers-only answer (its status in the headers, no body) keeps its status as
 * trailers. Written on the upstream response's thread, read by Jetty when the response completes.
 */
final class GrpcTrailers implements Supplier<Map<String, String>> {
    static final String ATTRIBUTE = GrpcTrailers.class.getName();

    private final Response serverResponse;
    private final Map<String, String> fromHeaders;
    private volatile Map<String, String> failure;

    private GrpcTrailers(Response serverResponse, Map<String, String> fromHeaders) {
        this.serverResponse = serverResponse;
        this.fromHeaders = fromHeaders;
    }

    /**
     * Whether an HTTP/2 client gets the backend's trailers: a gRPC answer does, and so does a client that said it
     * takes them ({@code TE: trailers}).
     */
    static boolean wanted(HttpServletRequest clientRequest, Response serverResponse) {
        if (!HttpVersion.HTTP_2.asString().equals(clientRequest.getProtocol())) {
            return false;
        }
        String te = clientRequest.getHeader("TE");
        return Grpc.isGrpc(serverResponse.getHeaders().get(HttpHeader.CONTENT_TYPE))
                || (te != null && te.contains("trailers"));
    }

    /** Installs the trailers on {@code proxyResponse}, moving a trailers-only answer's status out of its headers. */
    static GrpcTrailers forward(HttpServletResponse proxyResponse, Response serverResponse) {
        Map<String, String> fromHeaders = new HashMap<>();
        HttpFields headers = serverResponse.getHeaders();
        for (String name : new String[] {Grpc.STATUS, Grpc.MESSAGE}) {
            String value = headers.get(name);
            if (value != null) {
                fromHeaders.put(name, value);
                proxyResponse.setHeader(name, null);
            }
        }
        GrpcTrailers trailers = new GrpcTrailers(serverResponse, fromHeaders);
        proxyResponse.setTrailerFields(trailers);
        return trailers;
    }

    /** The call ends with {@code status} and {@code message} instead of the backend's trailers. */
    void fail(int status, String message) {
        failure = Map.of(Grpc.STATUS, Integer.toString(status), Grpc.MESSAGE, Grpc.encodeMessage(message));
    }

    @Override
    public Map<String, String> get() {
        Map<String, String> failed = failure;
        if (failed != null) {
            return failed;
        }
        Map<String, String> out = new HashMap<>(fromHeaders);
        HttpFields trailers = serverResponse.getTrailers();
        if (trailers != null) {
            for (HttpField f : trailers) {
                out.put(f.getLowerCaseName(), f.getValue());
            }
        }
        return out;
    }
}
