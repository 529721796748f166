package io.zkgate.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.zkgate.config.AgentSettings;
import io.zkgate.config.GatewaySettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * There is no Docker engine where this project is built, so the Docker files are checked by reading them: the
 * compose file's services, ports and commands, and that the images run the documented jars with flags and
 * environment the gateway and agent accept.
 */
class DockerFilesTest {
    private static final Path ROOT = Path.of("..");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    @Test
    void composeRunsAThreeNodeEnsembleTwoGatewaysAndTwoAgentRegisteredBackends() throws Exception {
        // SnakeYAML resolves anchors and merge keys (<<: *x) as Compose does; Jackson's YAML reader does not.
        Object compose = new org.yaml.snakeyaml.Yaml().load(Files.readString(ROOT.resolve("docker/docker-compose.yml")));
        JsonNode services = YAML.valueToTree(compose).get("services");
        assertNotNull(services);
        Set<String> zkIds = new HashSet<>();
        List<String> gateways = new ArrayList<>();
        List<String> agents = new ArrayList<>();
        Set<String> hostPorts = new HashSet<>();
        for (var it = services.fields(); it.hasNext(); ) {
            var e = it.next();
            JsonNode s = e.getValue();
            String image = s.path("image").asText("");
            if (image.startsWith("zookeeper:3.9")) {
                zkIds.add(s.path("environment").path("ZOO_MY_ID").asText());
                assertEquals(3, s.path("environment").path("ZOO_SERVERS").asText().split(" ").length);
            }
            if (s.path("build").path("dockerfile").asText().equals("docker/Dockerfile") && s.has("ports")) {
                gateways.add(e.getKey());
                Map<String, String> env = new HashMap<>();
                s.path("environment").fields().forEachRemaining(kv -> env.put(kv.getKey(), kv.getValue().asText()));
                env.put("ZKGATE_ADMIN_HOST", "0.0.0.0"); // what the image sets
                GatewaySettings settings = GatewaySettings.load(new String[0], env);
                assertEquals("zk1:2181,zk2:2181,zk3:2181", settings.zkConnect(), e.getKey());
                for (JsonNode p : s.get("ports")) {
                    String[] hostAndContainer = p.asText().split(":");
                    assertTrue(hostPorts.add(hostAndContainer[0]), "host port used twice: " + p);
                    assertTrue(Set.of("8080", "9090").contains(hostAndContainer[1]), "container ports of the contract");
                }
            }
            if (image.startsWith("zkgate/agent") || s.path("build").path("dockerfile").asText().equals("docker/agent.Dockerfile")) {
                agents.add(e.getKey());
                List<String> args = new ArrayList<>();
                s.get("command").forEach(a -> args.add(a.asText()));
                AgentSettings agent = AgentSettings.load(args.toArray(new String[0]), Map.of());
                assertEquals("zk1:2181,zk2:2181,zk3:2181", agent.zkConnect(), e.getKey());
                assertNotNull(services.get(agent.address()), "the agent registers a backend of this compose file: "
                        + agent.address());
            }
        }
        assertEquals(Set.of("1", "2", "3"), zkIds, "a 3-node ensemble with distinct ids");
        assertEquals(2, gateways.size(), "two gateways: " + gateways);
        assertEquals(2, agents.size(), "two agent sidecars: " + agents);
        String routes = services.get("routes").get("command").get(0).asText();
        assertTrue(routes.contains("/opt/zkgate/lib/zkgate-ctl.jar") && routes.contains("routes apply"), routes);
    }

    @Test
    void imagesAreMultiStageNonRootAndRunTheContractJarsAndLauncher() throws Exception {
        for (String file : List.of("docker/Dockerfile", "docker/agent.Dockerfile")) {
            String text = Files.readString(ROOT.resolve(file));
            long stages = text.lines().filter(l -> l.startsWith("FROM ")).count();
            assertTrue(stages >= 2, file + ": a build stage and a runtime stage");
            assertTrue(text.lines().anyMatch(l -> l.startsWith("FROM maven:")), file + ": Maven build stage");
            assertTrue(text.lines().anyMatch(l -> l.matches("FROM eclipse-temurin:\\d+-jre.*")), file + ": JRE runtime");
            assertTrue(text.lines().anyMatch(l -> l.startsWith("USER ") && !l.contains("root")), file + ": non-root");
            Matcher copies = Pattern.compile("COPY --from=build /src/(\\S+) ").matcher(text);
            while (copies.find()) {
                String jar = copies.group(1);
                assertTrue(Set.of("gateway/target/zkgate-gateway.jar", "registry-agent/target/zkgate-agent.jar",
                        "zk-schema/target/zkgate-ctl.jar").contains(jar), file + " copies " + jar);
            }
            Matcher plain = Pattern.compile("(?m)^COPY (?!--from)(\\S+) ").matcher(text);
            while (plain.find()) {
                if (!plain.group(1).equals(".")) {
                    assertTrue(Files.exists(ROOT.resolve(plain.group(1))), file + " copies missing " + plain.group(1));
                }
            }
        }
        String gateway = Files.readString(ROOT.resolve("docker/Dockerfile"));
        assertTrue(gateway.contains("ENTRYPOINT [\"/opt/zkgate/bin/zkgate-gateway\"]"));
        assertTrue(gateway.contains("COPY bin/zkgate-gateway /opt/zkgate/bin/zkgate-gateway"));
        assertTrue(Files.isExecutable(ROOT.resolve("bin/zkgate-gateway")), "launcher is executable");
        assertTrue(gateway.contains("EXPOSE 8080 9090"));
        assertFalse(Files.exists(ROOT.resolve("docker/.dockerignore")), ".dockerignore belongs at the build context root");
        assertTrue(Files.readString(ROOT.resolve(".dockerignore")).contains("target/"));
    }
}
