package io.zkgate.agent;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/**
 * Keeps the agent's checks honest about the address it registers, which is what the gateways connect to: a health
 * URL on loopback is checked on the registered address instead, and a service that answers on loopback only is
 * named at startup. Stateless and thread-safe.
 */
final class RegisteredAddress {
    private RegisteredAddress() {}

    /**
     * {@code url} with its host replaced by {@code address} when the URL names this host by loopback
     * ({@code localhost}, {@code 127.x}, {@code ::1}) and the registered address is not loopback; else {@code url}.
     */
    static URI healthUrlFor(URI url, String address) {
        if (!isLoopback(url.getHost()) || isLoopback(address)) {
            return url;
        }
        String host = address.contains(":") && !address.startsWith("[") ? "[" + address + "]" : address;
        try {
            return new URI(url.getScheme(), url.getUserInfo(), host, url.getPort(), url.getPath(), url.getQuery(),
                    url.getFragment());
        } catch (URISyntaxException e) {
            return url;
        }
    }

    /**
     * One line for the operator when the service's port refuses connections on the registered {@code address} but
     * accepts them on 127.0.0.1: the service listens on loopback only, and every gateway request would fail. Empty
     * when the registered address answers, is itself loopback, or neither answers (the service is not up yet).
     */
    static Optional<String> loopbackOnly(String address, int port, Duration timeout) {
        if (isLoopback(address)) {
            return Optional.empty();
        }
        String failure = connect(address, port, timeout);
        if (failure == null || connect("127.0.0.1", port, timeout) != null) {
            return Optional.empty();
        }
        return Optional.of("port " + port + " answers on 127.0.0.1 but not on the registered address " + address
                + " (" + failure + "): gateways will not reach it; make the service listen on " + address
                + " or 0.0.0.0, or register --address 127.0.0.1 if the gateways run on this host");
    }

    /** Null when a TCP connection opens, else why not. */
    private static String connect(String host, int port, Duration timeout) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), (int) Math.max(1, timeout.toMillis()));
            return null;
        } catch (IOException e) {
            return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        }
    }

    static boolean isLoopback(String host) {
        if (host == null) {
            return false;
        }
        String h = host.toLowerCase(Locale.ROOT);
        if (h.equals("localhost") || h.endsWith(".localhost")) {
            return true;
        }
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        if (!h.isEmpty() && (Character.isDigit(h.charAt(0)) || h.contains(":"))) {
            try {
                return InetAddress.getByName(h).isLoopbackAddress();
            } catch (UnknownHostException e) {
                return false;
            }
        }
        return false;
    }
}
