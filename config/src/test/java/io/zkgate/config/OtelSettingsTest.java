package io.zkgate.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OtelSettingsTest {
    @TempDir
    Path dir;

    @Test
    void spanExportIsOffByDefaultAndAnEndpointFromFlagEnvironmentOrFileTurnsItOn() throws Exception {
        GatewaySettings.Otel off = GatewaySettings.load(new String[0], Map.of()).otel();
        assertFalse(off.enabled());
        assertNull(off.endpoint());
        assertEquals(1.0, off.sampleRatio());
        assertEquals("zkgate", off.serviceName());

        GatewaySettings.Otel flags = GatewaySettings.load(new String[] {"--otel-endpoint",
                "http://127.0.0.1:4318/v1/traces", "--otel-sample-ratio", "0.25", "--otel-service-name", "edge"},
                Map.of()).otel();
        assertTrue(flags.enabled());
        assertEquals(URI.create("http://127.0.0.1:4318/v1/traces"), flags.endpoint());
        assertEquals(0.25, flags.sampleRatio());
        assertEquals("edge", flags.serviceName());

        GatewaySettings.Otel env = GatewaySettings.load(new String[0], Map.of("ZKGATE_OTEL_ENDPOINT",
                "https://collector:4318/v1/traces", "ZKGATE_OTEL_SAMPLE_RATIO", "0")).otel();
        assertEquals(URI.create("https://collector:4318/v1/traces"), env.endpoint());
        assertEquals(0.0, env.sampleRatio());

        Path file = dir.resolve("gw.yaml");
        Files.writeString(file, "otel-endpoint: http://otel:4318/v1/traces\notel-sample-ratio: 1\n");
        GatewaySettings.Otel fromFile = GatewaySettings.load(new String[] {"--config", file.toString()}, Map.of())
                .otel();
        assertEquals(URI.create("http://otel:4318/v1/traces"), fromFile.endpoint());
        assertEquals(1.0, fromFile.sampleRatio());
    }

    @Test
    void aBadValueIsAUsageErrorNamingTheFlag() {
        for (List<String> bad : List.of(List.of("--otel-sample-ratio", "1.5"), List.of("--otel-sample-ratio", "-0.1"),
                List.of("--otel-sample-ratio", "half"), List.of("--otel-sample-ratio", "NaN"),
                List.of("--otel-endpoint", "collector:4318"), List.of("--otel-endpoint", "grpc://127.0.0.1:4317"),
                List.of("--otel-service-name", " "))) {
            SettingsException e = assertThrows(SettingsException.class,
                    () -> GatewaySettings.load(bad.toArray(new String[0]), Map.of()), bad.toString());
            assertEquals(2, e.exitCode(), bad.toString());
            assertTrue(e.getMessage().contains(bad.get(0).substring(2) + ":"), e.getMessage());
        }
        SettingsException ratio = assertThrows(SettingsException.class,
                () -> GatewaySettings.load(new String[] {"--otel-sample-ratio", "2"}, Map.of()));
        assertEquals("flag --otel-sample-ratio: otel-sample-ratio: '2' (expected: number 0.0-1.0)", ratio.getMessage());
    }

    @Test
    void exportNeedsRequestIdsBecauseTheSpanIsTheTraceparentHop() {
        SettingsException e = assertThrows(SettingsException.class, () -> GatewaySettings.load(new String[] {
                "--otel-endpoint", "http://127.0.0.1:4318/v1/traces", "--request-ids=false"}, Map.of()));
        assertEquals(2, e.exitCode());
        assertTrue(e.getMessage().startsWith("otel-endpoint: "), e.getMessage());
    }

    @Test
    void theUsageListsTheSpanExportFlagsWithTheirVariables() {
        String usage = GatewaySettings.usage();
        for (String name : List.of("otel-endpoint", "otel-sample-ratio", "otel-service-name")) {
            assertTrue(usage.contains("--" + name), name);
            assertTrue(usage.contains(Option.envName(name)), name);
        }
    }
}
