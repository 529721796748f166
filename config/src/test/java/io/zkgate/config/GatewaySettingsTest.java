package io.zkgate.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GatewaySettingsTest {
    @TempDir
    Path dir;

    @Test
    void defaultsAreTheContractsPortsAndTheEmbeddedZooKeeper() throws Exception {
        GatewaySettings s = GatewaySettings.load(new String[0], Map.of());
        assertEquals(8080, s.port());
        assertEquals(9090, s.adminPort());
        assertEquals("127.0.0.1", s.adminHost());
        assertTrue(s.embeddedZooKeeper());
        assertEquals(2181, s.embeddedZkPort());
        assertEquals(Path.of("./data/zookeeper"), s.zooKeeperDataDir());
        assertEquals("/zkgate", s.zkgateRoot());
        assertEquals("/services", s.servicesRoot());
        assertEquals(1024, s.acceptQueue(), "past Java's listen backlog of 50");
    }

    @Test
    void fileThenEnvironmentThenFlagsEachOverrideTheOneBefore() throws Exception {
        Path file = dir.resolve("gw.yaml");
        Files.writeString(file, "port: 1111\nadmin-port: 2222\nzk:\n  - zk1:2181\n  - zk2:2181\ndemo: true\n");
        GatewaySettings fromFile = GatewaySettings.load(new String[] {"--config", file.toString()}, Map.of());
        assertEquals(1111, fromFile.port());
        assertEquals("zk1:2181,zk2:2181", fromFile.zkConnect());
        assertTrue(fromFile.demo());

        Map<String, String> env = Map.of("ZKGATE_CONFIG", file.toString(), "ZKGATE_ADMIN_PORT", "3333",
                "ZKGATE_PORT", "4444", "PATH", "/bin");
        GatewaySettings s = GatewaySettings.load(new String[] {"--port=5555"}, env);
        assertEquals(5555, s.port(), "flag beats environment");
        assertEquals(3333, s.adminPort(), "environment beats file");
        assertEquals("zk1:2181,zk2:2181", s.zkConnect(), "file beats default");
    }

    @Test
    void badFlagsAreUsageErrorsNamingTheFlagAndTheExpectedForm() {
        SettingsException bad = assertThrows(SettingsException.class,
                () -> GatewaySettings.load(new String[] {"--port", "http"}, Map.of()));
        assertEquals(2, bad.exitCode());
        assertEquals("flag --port: port: 'http' (expected: integer 0-65535)", bad.getMessage());

        SettingsException queue = assertThrows(SettingsException.class,
                () -> GatewaySettings.load(new String[] {"--accept-queue", "0"}, Map.of()));
        assertEquals("flag --accept-queue: accept-queue: '0' (expected: integer 1-65535)", queue.getMessage());

        SettingsException unknown = assertThrows(SettingsException.class,
                () -> GatewaySettings.load(new String[] {"--prot", "1"}, Map.of()));
        assertEquals(2, unknown.exitCode());
        assertTrue(unknown.getMessage().contains("unknown flag --prot"));

        SettingsException missing = assertThrows(SettingsException.class,
                () -> GatewaySettings.load(new String[] {"--zk"}, Map.of()));
        assertTrue(missing.getMessage().contains("--zk: missing value"));

        SettingsException zk = assertThrows(SettingsException.class,
                () -> GatewaySettings.load(new String[] {"--zk", "zk1"}, Map.of()));
        assertTrue(zk.getMessage().contains("expected: host:port"), zk.getMessage());

        SettingsException env = assertThrows(SettingsException.class,
                () -> GatewaySettings.load(new String[0], Map.of("ZKGATE_ADMINPORT", "1")));
        assertEquals(2, env.exitCode());
        assertTrue(env.getMessage().contains("ZKGATE_ADMINPORT: unknown setting"), env.getMessage());
    }

    @Test
    void theLaunchersOwnVariablesAreNotSettings() throws Exception {
        GatewaySettings s = GatewaySettings.load(new String[0], Map.of("ZKGATE_JAR", "/opt/zkgate/zkgate-gateway.jar",
                "ZKGATE_JAVA_OPTS", "-Xmx512m", "ZKGATE_PORT", "8081"));
        assertEquals(8081, s.port(), "bin/zkgate-gateway's ZKGATE_JAR and ZKGATE_JAVA_OPTS do not stop the gateway");
    }

    @Test
    void threadPoolSettingsMustLeaveThreadsToWork() throws Exception {
        GatewaySettings tuned = GatewaySettings.load(
                new String[] {"--threads", "16", "--min-threads", "16", "--reserved-threads", "0"}, Map.of());
        assertEquals(16, tuned.threads());
        assertEquals(0, tuned.reservedThreads());

        SettingsException min = assertThrows(SettingsException.class,
                () -> GatewaySettings.load(new String[] {"--threads", "16", "--min-threads", "32"}, Map.of()));
        assertEquals(2, min.exitCode());
        assertEquals("min-threads: 32 is more than threads (16)", min.getMessage());

        SettingsException reserved = assertThrows(SettingsException.class,
                () -> GatewaySettings.load(new String[] {"--threads", "8", "--reserved-threads", "8"}, Map.of()));
        assertTrue(reserved.getMessage().startsWith("reserved-threads: 8 leaves no thread to work"),
                reserved.getMessage());
    }

    @Test
    void aBadConfigFileFailsNamingTheFileLineAndKey() throws Exception {
        Path file = dir.resolve("bad.yaml");
        Files.writeString(file, "port: 8080\nadmin_port: 9\n");
        SettingsException unknown = assertThrows(SettingsException.class,
                () -> GatewaySettings.load(new String[] {"--config", file.toString()}, Map.of()));
        assertEquals(1, unknown.exitCode());
        assertTrue(unknown.getMessage().startsWith(file + ":2: admin_port: unknown setting"), unknown.getMessage());

        Files.writeString(file, "# the gateway\nhost: 127.0.0.1\n\nport: -1\n");
        SettingsException value = assertThrows(SettingsException.class,
                () -> GatewaySettings.load(new String[] {"--config", file.toString()}, Map.of()));
        assertEquals(file + ":4: port: '-1' (expected: integer 0-65535)", value.getMessage());

        SettingsException absent = assertThrows(SettingsException.class,
                () -> GatewaySettings.load(new String[] {"--config", dir.resolve("none.yaml").toString()}, Map.of()));
        assertTrue(absent.getMessage().endsWith("none.yaml: no such file"), absent.getMessage());
    }

    @Test
    void helpIsRecognisedAndTheUsageListsEveryFlagWithItsEnvironmentVariable() throws Exception {
        assertNull(GatewaySettings.load(new String[] {"--help"}, Map.of()));
        String usage = GatewaySettings.usage();
        for (Option o : GatewaySettings.OPTIONS) {
            assertTrue(usage.contains(o.flag()), o.flag());
            assertTrue(usage.contains(o.envName()), o.envName());
        }
    }

    @Test
    void theAgentsOwnVariablesAreLeftToTheAgent() throws Exception {
        GatewaySettings s = GatewaySettings.load(new String[0], Map.of("ZKGATE_PORT", "8000",
                "ZKGATE_AGENT_PORT", "9000", "ZKGATE_AGENT_SERVICE", "orders", "ZKGATE_AGENT_ZK", "zk1:2181"));

        assertEquals(8000, s.port());
        assertEquals("", s.zkConnect());
    }

    @Test
    void anAgentKeyGivenToTheGatewayIsRefusedNamingTheAgentAndItsVariable() {
        SettingsException env = assertThrows(SettingsException.class,
                () -> GatewaySettings.load(new String[0], Map.of("ZKGATE_SERVICE", "orders")));
        SettingsException flag = assertThrows(SettingsException.class,
                () -> GatewaySettings.load(new String[] {"--health-url", "http://x/"}, Map.of()));

        assertEquals(2, env.exitCode());
        assertTrue(env.getMessage().startsWith("environment: ZKGATE_SERVICE: unknown setting of the gateway: it is "
                + "the registry agent's (--service, env ZKGATE_AGENT_SERVICE)"), env.getMessage());
        assertTrue(flag.getMessage().startsWith("unknown flag --health-url for the gateway: it is the registry "
                + "agent's (--health-url, env ZKGATE_AGENT_HEALTH_URL)"), flag.getMessage());
    }

    @Test
    void theUsageSaysEachDefaultOnceAndListsEveryAdminPath() {
        String usage = GatewaySettings.usage();

        usage.lines().forEach(l -> assertTrue(l.indexOf("(default:") == l.lastIndexOf("(default:"), l));
        for (String path : List.of("/health", "/ready", "/metrics", "/admin/routes", "/admin/services",
                "/admin/status")) {
            assertTrue(usage.contains(path), path);
        }
        assertFalse(usage.contains("such as /zkgate"), usage);
    }

    @Test
    void tlsCertificatesAndKeysPairInOrderAcrossRepeatedFlagsAndTheKeyStorePasswordComesFromTheEnvironment()
            throws Exception {
        GatewaySettings s = GatewaySettings.load(new String[] {"--tls-port", "8443", "--tls-cert", "a.pem",
                "--tls-key", "a.key", "--tls-cert", "b.pem", "--tls-key", "b.key", "--tls-keystore", "s.p12", "--h2c",
                "--tls-redirect"}, Map.of("ZKGATE_TLS_KEYSTORE_PASSWORD", "secret"));
        assertEquals(8443, s.tls().port());
        assertEquals(List.of(Path.of("a.pem"), Path.of("b.pem")), s.tls().certificates());
        assertEquals(List.of(Path.of("a.key"), Path.of("b.key")), s.tls().keys());
        assertEquals(Path.of("s.p12"), s.tls().keystore());
        assertEquals("secret", s.tls().keystorePassword());
        assertTrue(s.tls().h2c() && s.tls().redirect() && s.tls().enabled());
        assertEquals(-1, GatewaySettings.load(new String[0], Map.of()).tls().port());
    }

    @Test
    void tlsCertificatePairsMayBeYamlListsInTheConfigFile() throws Exception {
        Path file = dir.resolve("tls.yaml");
        Files.writeString(file, "tls-port: 8443\ntls-cert:\n  - /etc/tls/a.crt\n  - /etc/tls/b.crt\n"
                + "tls-key: [/etc/tls/a.key, /etc/tls/b.key]\nh2c: true\n");
        GatewaySettings s = GatewaySettings.load(new String[] {"--config", file.toString()}, Map.of());
        assertEquals(List.of(Path.of("/etc/tls/a.crt"), Path.of("/etc/tls/b.crt")), s.tls().certificates());
        assertEquals(List.of(Path.of("/etc/tls/a.key"), Path.of("/etc/tls/b.key")), s.tls().keys());
        assertTrue(s.tls().h2c());
    }

    @Test
    void tlsFlagsThatCannotWorkTogetherAreUsageErrors() {
        for (String[] args : List.of(
                new String[] {"--tls-port", "8443"},
                new String[] {"--tls-port", "8443", "--tls-cert", "a.pem"},
                new String[] {"--tls-cert", "a.pem", "--tls-key", "a.key"},
                new String[] {"--tls-redirect"},
                new String[] {"--tls-port", "8080", "--tls-keystore", "s.p12"})) {
            SettingsException bad = assertThrows(SettingsException.class, () -> GatewaySettings.load(args, Map.of()));
            assertEquals(SettingsException.USAGE, bad.exitCode(), bad.getMessage());
            assertTrue(bad.getMessage().startsWith("tls-"), bad.getMessage());
        }
    }

    @Test
    void theTlsProviderIsAutoUnlessJdkOrConscryptIsAskedForAndAnyOtherNameIsAUsageErrorNamingTheFlag()
            throws Exception {
        assertEquals("auto", GatewaySettings.load(new String[0], Map.of()).tls().provider());
        assertEquals("jdk", GatewaySettings.load(new String[] {"--tls-provider", "jdk"}, Map.of()).tls().provider());
        assertEquals("conscrypt", GatewaySettings.load(new String[] {"--tls-port", "8443", "--tls-cert", "a.pem",
                "--tls-key", "a.key", "--tls-provider", "Conscrypt"}, Map.of()).tls().provider());
        assertEquals("conscrypt", GatewaySettings.load(new String[0], Map.of("ZKGATE_TLS_PROVIDER", "conscrypt"))
                .tls().provider());
        SettingsException bad = assertThrows(SettingsException.class,
                () -> GatewaySettings.load(new String[] {"--tls-provider", "openssl"}, Map.of()));
        assertEquals(SettingsException.USAGE, bad.exitCode(), bad.getMessage());
        assertTrue(bad.getMessage().contains("tls-provider") && bad.getMessage().contains("auto, jdk, conscrypt"),
                bad.getMessage());
        assertTrue(GatewaySettings.usage().contains("--tls-provider"));
    }
}
