package io.zkgate.agent;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Picks the address other hosts can reach this one at. Stateless. */
final class HostAddress {
    private HostAddress() {}

    /**
     * The first address of an up, non-loopback, non-virtual interface (lowest interface index first), preferring
     * IPv4 and then site-local addresses; else what the host name resolves to; else 127.0.0.1.
     */
    static String nonLoopback() {
        InetAddress best = null;
        int bestRank = Integer.MAX_VALUE;
        try {
            List<NetworkInterface> interfaces = new ArrayList<>(NetworkInterface.networkInterfaces().toList());
            interfaces.sort(Comparator.comparingInt(NetworkInterface::getIndex));
            for (NetworkInterface nic : interfaces) {
                if (!nic.isUp() || nic.isLoopback() || nic.isVirtual() || nic.isPointToPoint()) {
                    continue;
                }
                for (InetAddress a : nic.inetAddresses().toList()) {
                    int rank = rank(a);
                    if (rank < bestRank) {
                        best = a;
                        bestRank = rank;
                    }
                }
            }
        } catch (SocketException e) {
            // fall through to the host name
        }
        if (best != null) {
            return best.getHostAddress();
        }
        try {
            return InetAddress.getLocalHost().getHostAddress();
        } catch (UnknownHostException e) {
            return "127.0.0.1";
        }
    }

    /** Lower is better; loopback, link-local, wildcard and multicast addresses are never chosen. */
    private static int rank(InetAddress a) {
        if (a.isLoopbackAddress() || a.isLinkLocalAddress() || a.isAnyLocalAddress() || a.isMulticastAddress()) {
            return Integer.MAX_VALUE;
        }
        return (a instanceof Inet4Address ? 0 : 2) + (a.isSiteLocalAddress() ? 0 : 1);
    }
}
