package io.zkgate.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrustedProxiesSettingsTest {
    @TempDir
    Path dir;

    @Test
    void trustedProxiesComeFromFlagEnvironmentOrFileAndDefaultToNone() throws Exception {
        assertEquals(List.of(), GatewaySettings.load(new String[0], Map.of()).trustedProxies());
        assertTrue(GatewaySettings.load(new String[0], Map.of()).requestIds(), "request ids are on by default");
        assertEquals(List.of("10.0.0.0/8", "::1"), GatewaySettings.load(
                new String[] {"--trusted-proxies", "10.0.0.0/8, ::1"}, Map.of()).trustedProxies());
        assertEquals(List.of("192.168.0.0/16"), GatewaySettings.load(new String[0],
                Map.of("ZKGATE_TRUSTED_PROXIES", "192.168.0.0/16")).trustedProxies());
        Path file = dir.resolve("gw.yaml");
        Files.writeString(file, "trusted-proxies:\n  - 172.16.0.0/12\n  - 2001:db8::/32\nrequest-ids: false\n");
        GatewaySettings fromFile = GatewaySettings.load(new String[] {"--config", file.toString()}, Map.of());
        assertEquals(List.of("172.16.0.0/12", "2001:db8::/32"), fromFile.trustedProxies());
        assertFalse(fromFile.requestIds());
    }

    @Test
    void aBadCidrIsAUsageErrorNamingTheFlagAndTheForm() {
        for (String bad : List.of("10.0.0.0/33", "proxy.example.com", "300.1.1.1", "::1/129", "10.0.0.0/x")) {
            SettingsException e = assertThrows(SettingsException.class,
                    () -> GatewaySettings.load(new String[] {"--trusted-proxies", "10.0.0.1," + bad}, Map.of()));
            assertEquals(2, e.exitCode(), bad);
            assertTrue(e.getMessage().startsWith("flag --trusted-proxies: trusted-proxies: '10.0.0.1," + bad + "'"),
                    e.getMessage());
            assertTrue(e.getMessage().contains("expected: comma-separated CIDRs"), e.getMessage());
        }
    }
}
