package io.zkgate.gateway.routing;

import io.zkgate.schema.Cidr;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/**
 * The gateway's {@code --trusted-proxies}: which peers' {@code X-Forwarded-For} is believed. From a trusted peer
 * the client is the right-most hop of X-Forwarded-For that is not itself a trusted proxy (hops to its right were
 * added by proxies the gateway trusts, hops to its left could have been written by anyone); from any other peer the
 * client is the peer, whatever X-Forwarded-For says. Immutable and thread-safe.
 */
public final class TrustedProxies {
    /** No proxy is trusted: the client is always the peer. */
    public static final TrustedProxies NONE = new TrustedProxies(new Cidr[0]);

    private final Cidr[] ranges;

    private TrustedProxies(Cidr[] ranges) {
        this.ranges = ranges;
    }

    /** @param cidrs CIDRs as the settings checked them */
    public static TrustedProxies of(List<String> cidrs) {
        if (cidrs.isEmpty()) {
            return NONE;
        }
        Cidr[] ranges = new Cidr[cidrs.size()];
        for (int i = 0; i < ranges.length; i++) {
            ranges[i] = Cidr.parse(cidrs.get(i));
            if (ranges[i] == null) {
                throw new IllegalArgumentException("trusted-proxies: '" + cidrs.get(i) + "' (expected: "
                        + Cidr.expected() + ")");
            }
        }
        return new TrustedProxies(ranges);
    }

    public boolean isEmpty() {
        return ranges.length == 0;
    }

    /**
     * The client's address for a request from {@code peer}.
     *
     * @param forwardedFor the request's X-Forwarded-For values in order (read only when the peer is trusted)
     */
    public String clientIp(String peer, List<String> forwardedFor) {
        if (ranges.length == 0 || !trusted(Cidr.literal(peer)) || forwardedFor.isEmpty()) {
            return peer;
        }
        String client = peer;
        for (int v = forwardedFor.size() - 1; v >= 0; v--) {
            String value = forwardedFor.get(v);
            int end = value.length();
            while (end > 0) {
                int comma = value.lastIndexOf(',', end - 1);
                String hop = value.substring(comma + 1, end).trim();
                end = comma < 0 ? 0 : comma;
                byte[] address = Cidr.literal(hop);
                if (address == null) {
                    return client; // "unknown" or garbage: nothing left of it can be believed either
                }
                client = format(address);
                if (!trusted(address)) {
                    return client;
                }
            }
        }
        return client; // every hop is a trusted proxy: the left-most is as close to the client as is known
    }

    private boolean trusted(byte[] address) {
        for (Cidr range : ranges) {
            if (range.contains(address)) {
                return true;
            }
        }
        return false;
    }

    private static String format(byte[] address) {
        try {
            return InetAddress.getByAddress(address).getHostAddress(); // the form peers are written in
        } catch (UnknownHostException e) {
            throw new IllegalStateException("cannot happen: 4 or 16 bytes", e);
        }
    }
}
