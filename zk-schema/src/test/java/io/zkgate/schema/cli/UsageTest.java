package io.zkgate.schema.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class UsageTest extends ZkTestSupport {
    /** A port nothing listens on: the CLI must not need it. */
    private static final String NOWHERE = "127.0.0.1:1";

    @ParameterizedTest
    @ValueSource(strings = {"", "init", "routes", "routes validate", "routes apply", "routes list", "routes get",
        "routes delete", "scripts", "scripts put", "scripts list", "scripts get", "scripts delete", "services",
        "services list", "services grant", "gateways", "gateways list", "credentials", "credentials add-key",
        "credentials add-user", "credentials list", "credentials revoke", "jwks", "jwks put"})
    void everyCommandAnswersHelpWithItsUsageAndExitZero(String command) {
        List<String> args = new ArrayList<>(command.isEmpty() ? List.of() : Arrays.asList(command.split(" ")));
        args.add("--help");

        CtlRun run = CtlRun.of(Map.of(), args.toArray(String[]::new));

        assertEquals(0, run.code(), run.toString());
        assertTrue(run.out().startsWith("Usage: zkgate-ctl" + (command.isEmpty() ? "" : " " + command)), run.out());
        assertTrue(run.out().contains("-h, --help"), run.out());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "bogus", "routes", "routes get", "routes apply", "scripts put auth",
        "routes get a/b", "--connect-timeout-ms abc routes list", "routes get orders --format xml",
        "--auth nocolon routes list", "init --lock-services", "services grant orders agent:pw",
        "--connect-timeout-ms 0 routes list", "--zkgate-root zkgate routes list", "scripts delete a/b",
        "credentials revoke partners a/b", "credentials add-key a/b acme", "jwks put a/b keys.json",
        "services list a/b"})
    void usageErrorsExitTwoWithAMessage(String command) {
        CtlRun run = CtlRun.of(Map.of(), ("--zk " + NOWHERE + " " + command).trim().split(" "));

        assertEquals(2, run.code(), run.toString());
        assertTrue(run.err().contains("Usage: zkgate-ctl"), run.err());
    }

    @Test
    void theConnectStringComesFromTheEnvironmentWhenNoFlagIsGiven() {
        CtlRun run = CtlRun.of(Map.of("ZKGATE_ZK", server.getConnectString()), "gateways", "list");

        assertEquals(0, run.code(), run.toString());
        assertTrue(run.out().contains("no gateways have reported"), run.out());
    }

    @Test
    void theFlagWinsOverTheEnvironmentAndMayFollowTheCommand() {
        CtlRun run = CtlRun.of(Map.of("ZKGATE_ZK", NOWHERE), "gateways", "list", "--zk", server.getConnectString());

        assertEquals(0, run.code(), run.toString());
    }

    @Test
    void aMalformedIdentityInTheEnvironmentIsAUsageErrorNamingTheVariable() {
        CtlRun run = CtlRun.of(Map.of("ZKGATE_ZK", NOWHERE, "ZKGATE_ZK_AUTH", "nocolon"), "routes", "list");

        assertEquals(2, run.code(), run.toString());
        assertTrue(run.err().contains("ZKGATE_ZK_AUTH: (expected: user:password"), run.err());
    }

    @Test
    void inputThatFailsItsChecksExitsOneBeforeAnyConnectionIsTried() {
        Path keys = write(dir, "private.json", "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"d\":\"X4cT\"}]}");
        Path routes = write(dir, "routes/bad.yaml", "id: bad\nmatch:\n  pathPrefix: nope\nservice: orders\n");

        for (String[] args : List.of(new String[] {"jwks", "put", "login", keys.toString()},
                new String[] {"scripts", "put", "auth", dir.resolve("missing.lua").toString()},
                new String[] {"routes", "apply", routes.getParent().toString()})) {
            List<String> all = new ArrayList<>(List.of("--zk", NOWHERE, "--connect-timeout-ms", "300"));
            all.addAll(List.of(args));

            CtlRun run = CtlRun.of(Map.of(), all.toArray(String[]::new));

            assertEquals(1, run.code(), run.toString());
            assertFalse(run.err().contains("cannot reach ZooKeeper"), run.err());
        }
    }

    @Test
    void anUnreachableZooKeeperExitsOneNamingIt() {
        CtlRun run = CtlRun.of(Map.of(), "--zk", NOWHERE, "--connect-timeout-ms", "300", "routes", "list");

        assertEquals(1, run.code(), run.toString());
        assertTrue(run.err().contains("cannot reach ZooKeeper at " + NOWHERE + " within 300 ms"), run.err());
    }

    @Test
    void theRootsCanBeMovedAndInitIsIdempotent() throws Exception {
        CtlRun first = ctl("--zkgate-root", "/tenant-a/zkgate", "--services-root", "/tenant-a/services", "init");
        CtlRun second = ctl("--zkgate-root", "/tenant-a/zkgate", "--services-root", "/tenant-a/services", "init");

        assertEquals(0, first.code(), first.toString());
        assertTrue(first.out().contains("created /tenant-a/zkgate/routes"), first.out());
        assertEquals(0, second.code(), second.toString());
        assertTrue(second.out().contains("exists  /tenant-a/zkgate/routes"), second.out());
        for (String p : List.of("/tenant-a/zkgate/routes", "/tenant-a/zkgate/scripts", "/tenant-a/zkgate/gateways",
                "/tenant-a/services")) {
            assertEquals(0, observer.checkExists().forPath(p).getVersion(), p);
        }
        admin.delete().deletingChildrenIfNeeded().forPath("/tenant-a");
    }
}
