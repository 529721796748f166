package io.zkgate.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentSettingsTest {
    private static final String[] REQUIRED = {"--zk", "127.0.0.1:2181", "--service", "orders", "--port", "8081"};

    private static String[] with(String... more) {
        String[] all = new String[REQUIRED.length + more.length];
        System.arraycopy(REQUIRED, 0, all, 0, REQUIRED.length);
        System.arraycopy(more, 0, all, REQUIRED.length, more.length);
        return all;
    }

    @Test
    void requiredFlagsAloneGiveTheDocumentedDefaults() {
        AgentSettings s = AgentSettings.of(REQUIRED);
        assertEquals("127.0.0.1:2181", s.zkConnect());
        assertEquals("orders", s.service());
        assertEquals(8081, s.port());
        assertEquals("/services", s.servicesRoot());
        assertNull(s.id());
        assertNull(s.address());
        assertNull(s.zkAuth());
        assertNull(s.healthUrl());
        assertEquals(1, s.weight());
        assertEquals(Map.of(), s.metadata());
        assertEquals(10_000, s.zkSessionTimeoutMs());
        assertEquals(5_000, s.zkConnectionTimeoutMs());
        assertEquals(1000, s.healthIntervalMs());
        assertEquals(1000, s.healthTimeoutMs());
        assertEquals(3, s.healthFailures());
        assertEquals(2, s.healthSuccesses());
        assertEquals(5000, s.drainMs());
    }

    @Test
    void metadataFlagMayRepeatAndTakeCommaLists() {
        AgentSettings s = AgentSettings.of(with("--metadata", "zone=a", "--metadata=version=2,team=pay"));
        assertEquals(Map.of("zone", "a", "version", "2", "team", "pay"), s.metadata());
        assertEquals(List.of("zone", "version", "team"), List.copyOf(s.metadata().keySet()));
    }

    @Test
    void repeatingAPlainFlagStillKeepsTheLastValue() {
        assertEquals(9, AgentSettings.of(with("--weight", "3", "--weight", "9")).weight());
    }

    @Test
    void metadataComesFromEnvironmentAsCommaListAndFlagsReplaceIt() throws Exception {
        Map<String, String> env = Map.of("ZKGATE_METADATA", "zone=b,rack=7");
        assertEquals(Map.of("zone", "b", "rack", "7"), AgentSettings.load(REQUIRED, env).metadata());
        assertEquals(Map.of("zone", "c"), AgentSettings.load(with("--metadata", "zone=c"), env).metadata());
    }

    @Test
    void metadataInYamlMayBeAMappingOrAList(@TempDir Path dir) throws Exception {
        Path mapping = dir.resolve("a.yaml");
        Files.writeString(mapping, "metadata:\n  zone: a\n  version: 2\nhealth-url: http://127.0.0.1:9/ready\n");
        AgentSettings s = AgentSettings.of(with("--config", mapping.toString()));
        assertEquals(Map.of("zone", "a", "version", "2"), s.metadata());
        assertEquals(URI.create("http://127.0.0.1:9/ready"), s.healthUrl());

        Path list = dir.resolve("b.yaml");
        Files.writeString(list, "metadata: [zone=b, version=3]\n");
        assertEquals(Map.of("zone", "b", "version", "3"),
                AgentSettings.of(with("--config", list.toString())).metadata());
    }

    @Test
    void everyFlagOfTheContractIsAccepted() {
        AgentSettings s = AgentSettings.of(with("--address", "10.1.2.3", "--weight", "5", "--id", "orders-1",
                "--health-url", "http://127.0.0.1:8081/health", "--drain-ms", "250", "--services-root", "/svc",
                "--health-interval-ms", "200", "--health-timeout-ms", "150", "--health-failures", "4",
                "--health-successes", "1", "--zk-auth", "agent:s3cret"));
        assertEquals("10.1.2.3", s.address());
        assertEquals(5, s.weight());
        assertEquals("orders-1", s.id());
        assertEquals(URI.create("http://127.0.0.1:8081/health"), s.healthUrl());
        assertEquals(250, s.drainMs());
        assertEquals("/svc", s.servicesRoot());
        assertEquals(200, s.healthIntervalMs());
        assertEquals(150, s.healthTimeoutMs());
        assertEquals(4, s.healthFailures());
        assertEquals(1, s.healthSuccesses());
        assertEquals("agent:s3cret", s.zkAuth());
    }

    @Test
    void toStringDoesNotShowThePassword() {
        String text = AgentSettings.of(with("--zk-auth", "agent:s3cret")).toString();
        assertFalse(text.contains("s3cret"), text);
        assertTrue(text.contains("agent:***"), text);
    }

    @Test
    void missingRequiredFlagsAreUsageErrors() {
        for (String missing : List.of("--zk", "--service", "--port")) {
            String[] args = java.util.stream.IntStream.range(0, REQUIRED.length / 2)
                    .filter(i -> !REQUIRED[2 * i].equals(missing))
                    .mapToObj(i -> new String[] {REQUIRED[2 * i], REQUIRED[2 * i + 1]})
                    .flatMap(java.util.Arrays::stream)
                    .toArray(String[]::new);
            SettingsException e = assertThrows(SettingsException.class, () -> AgentSettings.load(args, Map.of()));
            assertEquals(SettingsException.USAGE, e.exitCode());
            assertTrue(e.getMessage().contains(missing), e.getMessage());
        }
    }

    @Test
    void badValuesAreUsageErrorsNamingTheFlag() {
        Map<String, String[]> cases = Map.of(
                "port", with("--port", "70000"),
                "metadata", with("--metadata", "novalue"),
                "health-url", with("--health-url", "ftp://x/"),
                "service", with("--service", "bad/name"),
                "zk-auth", with("--zk-auth", "nopassword"),
                "weight", with("--metadata", "weight=3"),
                "drain-ms", with("--drain-ms", "-1"),
                "unknown", with("--unknown", "x"));
        cases.forEach((flag, args) -> {
            SettingsException e = assertThrows(SettingsException.class, () -> AgentSettings.load(args, Map.of()),
                    flag);
            assertEquals(SettingsException.USAGE, e.exitCode(), flag);
            assertTrue(e.getMessage().contains(flag), e.getMessage());
        });
    }

    @Test
    void helpReturnsNullAndUsageListsTheContractFlags() throws Exception {
        assertNull(AgentSettings.load(new String[] {"--help"}, Map.of()));
        String usage = AgentSettings.usage();
        for (String flag : List.of("--zk ", "--service ", "--port ", "--address ", "--weight ", "--metadata ",
                "--health-url ", "--id ", "--drain-ms ", "--services-root ", "--zk-auth ", "--health-interval-ms ",
                "--health-failures ", "--health-successes ")) {
            assertTrue(usage.contains(flag), flag);
        }
    }

    @Test
    void theAgentReadsItsOwnPrefixAndLeavesTheGatewaysVariablesAlone() throws Exception {
        List<String> warnings = new ArrayList<>();
        AgentSettings s = AgentSettings.load(new String[0], Map.of("ZKGATE_AGENT_ZK", "zk1:2181",
                "ZKGATE_AGENT_SERVICE", "orders", "ZKGATE_AGENT_PORT", "8081", "ZKGATE_PORT", "8080",
                "ZKGATE_ADMIN_PORT", "9090", "ZKGATE_ZK", "zk9:2181"), warnings::add);

        assertEquals("zk1:2181", s.zkConnect());
        assertEquals(8081, s.port());
        assertEquals(List.of(), warnings);
    }

    @Test
    void theOldSharedNamesStillWorkWithOneDeprecationLine() throws Exception {
        List<String> warnings = new ArrayList<>();
        AgentSettings s = AgentSettings.load(new String[0], Map.of("ZKGATE_ZK", "zk1:2181",
                "ZKGATE_SERVICE", "orders", "ZKGATE_PORT", "8081", "ZKGATE_ADMIN_PORT", "9090"), warnings::add);

        assertEquals("orders", s.service());
        assertEquals(8081, s.port());
        assertEquals(List.of("environment: ZKGATE_PORT, ZKGATE_SERVICE, ZKGATE_ZK are deprecated names for the "
                + "registry agent (the ZKGATE_* names are the gateway's); use ZKGATE_AGENT_PORT, ZKGATE_AGENT_SERVICE, "
                + "ZKGATE_AGENT_ZK"), warnings);
    }

    @Test
    void aGatewayKeyGivenToTheAgentIsRefusedNamingTheGateway() {
        SettingsException e = assertThrows(SettingsException.class, () -> AgentSettings.load(REQUIRED,
                Map.of("ZKGATE_AGENT_ADMIN_PORT", "9090")));

        assertEquals(SettingsException.USAGE, e.exitCode());
        assertTrue(e.getMessage().startsWith("environment: ZKGATE_AGENT_ADMIN_PORT: unknown setting of the registry "
                + "agent: it is the gateway's (--admin-port, env ZKGATE_ADMIN_PORT)"), e.getMessage());
    }

    @Test
    void theUsageNamesTheAgentsVariablesAndClaimsNoEmbeddedZooKeeper() {
        String usage = AgentSettings.usage();

        assertTrue(usage.contains("[env ZKGATE_AGENT_SERVICE]"), usage);
        assertFalse(usage.contains("embedded"), usage);
        usage.lines().forEach(l -> assertTrue(l.indexOf("(default:") == l.lastIndexOf("(default:"), l));
    }
}
