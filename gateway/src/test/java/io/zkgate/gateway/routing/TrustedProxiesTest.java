package io.zkgate.gateway.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class TrustedProxiesTest {
    private final TrustedProxies proxies = TrustedProxies.of(List.of("10.0.0.0/8", "2001:db8::/32"));

    @Test
    void anUntrustedPeerIsTheClientWhateverItsXForwardedForSays() {
        assertEquals("203.0.113.9", proxies.clientIp("203.0.113.9", List.of("1.2.3.4")));
        assertEquals("1.2.3.4", TrustedProxies.NONE.clientIp("1.2.3.4", List.of("10.0.0.1")));
    }

    @Test
    void behindTrustedProxiesTheClientIsTheRightMostUntrustedHop() {
        assertEquals("1.2.3.4", proxies.clientIp("10.0.0.1", List.of("1.2.3.4")));
        assertEquals("5.6.7.8", proxies.clientIp("10.0.0.1", List.of("1.2.3.4, 5.6.7.8, 10.9.9.9")));
        assertEquals("5.6.7.8", proxies.clientIp("10.0.0.1", List.of("1.2.3.4", "5.6.7.8,10.1.1.1")),
                "several header fields read as one list");
        assertEquals("2001:db9:0:0:0:0:0:1", proxies.clientIp("2001:db8::7", List.of("[2001:db9::1]:5000")));
        assertEquals("1.2.3.4", proxies.clientIp("10.0.0.1", List.of("1.2.3.4:8080")), "a port is dropped");
        assertEquals("10.2.2.2", proxies.clientIp("10.0.0.1", List.of("10.2.2.2, 10.3.3.3")),
                "all hops trusted: the left-most");
        assertEquals("10.0.0.1", proxies.clientIp("10.0.0.1", List.of()), "no header: the peer");
        assertEquals("10.3.3.3", proxies.clientIp("10.0.0.1", List.of("1.2.3.4, unknown, 10.3.3.3")),
                "an unreadable hop: the trusted proxy that wrote it, nothing further left is believed");
    }

    @Test
    void aBadCidrIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> TrustedProxies.of(List.of("proxy.example.com")));
    }
}
