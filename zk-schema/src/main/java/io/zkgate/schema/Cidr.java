package io.zkgate.schema;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * An IPv4 or IPv6 address range in CIDR notation ({@code 10.0.0.0/8}, {@code 2001:db8::/32}); a bare address is
 * its own /32 or /128. IPv4-mapped IPv6 addresses ({@code ::ffff:10.1.2.3}) count as IPv4. Addresses are only ever
 * read as literals: a host name is refused, never resolved. Immutable and thread-safe.
 */
public final class Cidr {
    private final byte[] network;
    private final int prefix;

    private Cidr(byte[] network, int prefix) {
        this.network = network;
        this.prefix = prefix;
    }

    /** The range {@code text} names, or null when it is not an address literal with an optional /prefix in range. */
    public static Cidr parse(String text) {
        if (text == null) {
            return null;
        }
        String t = text.trim();
        if (t.indexOf('%') >= 0) {
            return null; // a zone id names an interface of one host: no range to configure
        }
        int slash = t.indexOf('/');
        byte[] address = literal(slash < 0 ? t : t.substring(0, slash));
        if (address == null) {
            return null;
        }
        int bits = address.length * 8;
        int prefix = bits;
        if (slash >= 0) {
            String p = t.substring(slash + 1);
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit)) {
                return null;
            }
            prefix = Integer.parseInt(p);
            if (prefix > bits) {
                return null;
            }
        }
        byte[] network = address.clone();
        for (int i = 0; i < network.length; i++) {
            int keep = Math.max(0, Math.min(8, prefix - i * 8));
            network[i] &= (byte) (0xff << (8 - keep));
        }
        return new Cidr(network, prefix);
    }

    /** Why {@code text} is not a CIDR, for messages. */
    public static String expected() {
        return "an IPv4 or IPv6 address with an optional /prefix, such as 10.0.0.0/8 or 2001:db8::/32";
    }

    /** Whether the address (4 or 16 bytes, from {@link #literal}) is in this range; false for the other family. */
    public boolean contains(byte[] address) {
        if (address == null || address.length != network.length) {
            return false;
        }
        int full = prefix / 8;
        for (int i = 0; i < full; i++) {
            if (address[i] != network[i]) {
                return false;
            }
        }
        int rest = prefix % 8;
        return rest == 0 || ((address[full] ^ network[full]) & (0xff << (8 - rest)) & 0xff) == 0;
    }

    /**
     * The bytes of an IP address literal (4 for IPv4 and IPv4-mapped IPv6, 16 for IPv6), or null when {@code text}
     * is not one. IPv6 may be in brackets; a port after an IPv4 address or a bracketed IPv6 one is ignored (as some
     * proxies write them in X-Forwarded-For). Never resolves a name.
     */
    public static byte[] literal(String text) {
        if (text == null || text.isEmpty()) {
            return null;
        }
        String t = text;
        if (t.charAt(0) == '[') {
            int close = t.indexOf(']');
            if (close < 0) {
                return null;
            }
            t = t.substring(1, close);
        } else if (t.indexOf(':') > 0 && t.indexOf(':') == t.lastIndexOf(':') && t.indexOf('.') > 0) {
            t = t.substring(0, t.indexOf(':')); // 10.1.2.3:4567
        }
        if (t.indexOf(':') < 0) {
            return ipv4(t);
        }
        int zone = t.indexOf('%');
        if (zone > 0) {
            t = t.substring(0, zone); // fe80::1%eth0, as a link-local peer's address is written: the zone is local
        }
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            if (!(c == ':' || c == '.' || Character.digit(c, 16) >= 0)) {
                return null; // anything that could make the JDK look a name up
            }
        }
        try {
            return InetAddress.getByName(t).getAddress(); // an IPv6 literal: parsed, never resolved
        } catch (UnknownHostException e) {
            return null;
        }
    }

    private static byte[] ipv4(String t) {
        byte[] out = new byte[4];
        int part = 0;
        int value = -1;
        for (int i = 0; i <= t.length(); i++) {
            char c = i == t.length() ? '.' : t.charAt(i);
            if (c == '.') {
                if (value < 0 || part > 3) {
                    return null;
                }
                out[part++] = (byte) value;
                value = -1;
            } else if (c >= '0' && c <= '9') {
                value = value < 0 ? c - '0' : value * 10 + (c - '0');
                if (value > 255) {
                    return null;
                }
            } else {
                return null;
            }
        }
        return part == 4 ? out : null;
    }

    @Override
    public String toString() {
        try {
            return InetAddress.getByAddress(network).getHostAddress() + "/" + prefix;
        } catch (UnknownHostException e) {
            throw new IllegalStateException("cannot happen: 4 or 16 bytes", e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Cidr c && c.prefix == prefix && Arrays.equals(c.network, network);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(network) + prefix;
    }
}
