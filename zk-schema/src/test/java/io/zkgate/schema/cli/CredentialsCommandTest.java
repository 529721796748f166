package io.zkgate.schema.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.schema.Credential;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CredentialsCommandTest extends ZkTestSupport {
    @Test
    void addKeyPrintsTheKeyOnceAndStoresOnlyItsHash() throws Exception {
        CtlRun add = ctl("credentials", "add-key", "partners", "acme");

        assertEquals(0, add.code(), add.toString());
        String key = add.out().trim();
        assertTrue(key.startsWith("zk_") && key.length() > 40, add.toString());
        String stored = new String(observer.getData().forPath(LAYOUT.credentialPath("partners", "acme")),
                StandardCharsets.UTF_8);
        assertFalse(stored.contains(key), stored);
        assertTrue(stored.contains(HexFormat.of().formatHex(Credential.sha256(key))), stored);
        CtlRun again = ctl("credentials", "add-key", "partners", "acme");
        assertEquals(1, again.code(), again.toString());
        assertTrue(again.err().contains("already exists in set 'partners'; add --replace"), again.err());
        CtlRun rotated = ctl("credentials", "add-key", "--replace", "partners", "acme");
        assertEquals(0, rotated.code(), rotated.toString());
        assertFalse(rotated.out().trim().equals(key));
    }

    @Test
    void addUserReadsThePasswordFromStdinOrTheNamedVariableNeverFromArguments() throws Exception {
        CtlRun fromStdin = ctl(c -> c.stdin(new ByteArrayInputStream("s3cret-pw\n".getBytes(StandardCharsets.UTF_8))),
                "credentials", "add-user", "staff", "alice");
        assertEquals(0, fromStdin.code(), fromStdin.toString());
        Credential alice = Credential.parse("x", observer.getData().forPath(LAYOUT.credentialPath("staff", "alice")));
        assertTrue(Credential.bcryptMatches(alice.hash(), "s3cret-pw".toCharArray()));

        List<String> args = new ArrayList<>(List.of("--zk", server.getConnectString(), "credentials", "add-user",
                "--password-env", "BOB_PW", "staff", "bob"));
        CtlRun fromEnv = CtlRun.of(Map.of("BOB_PW", "b0b-pw"), args.toArray(String[]::new));
        assertEquals(0, fromEnv.code(), fromEnv.toString());
        Credential bob = Credential.parse("x", observer.getData().forPath(LAYOUT.credentialPath("staff", "bob")));
        assertTrue(Credential.bcryptMatches(bob.hash(), "b0b-pw".toCharArray()));

        CtlRun positional = ctl("credentials", "add-user", "staff", "carol", "pw-in-argv");
        assertEquals(2, positional.code(), positional.toString());
        CtlRun colon = ctl(c -> c.stdin(new ByteArrayInputStream("x\n".getBytes(StandardCharsets.UTF_8))),
                "credentials", "add-user", "staff", "a:b");
        assertEquals(2, colon.code(), colon.toString());
        CtlRun empty = ctl(c -> c.stdin(new ByteArrayInputStream(new byte[0])), "credentials", "add-user", "staff",
                "dave");
        assertEquals(1, empty.code(), empty.toString());
        assertNull(observer.checkExists().forPath(LAYOUT.credentialPath("staff", "dave")));
    }

    @Test
    void jwksPutPinsAPublicKeySetAndRefusesPrivateKeysAndNonSets() throws Exception {
        Path dir = Files.createTempDirectory("jwks");
        Path good = write(dir, "good.json",
                "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"k1\",\"n\":\"0vx7\",\"e\":\"AQAB\"}]}");
        CtlRun put = ctl("jwks", "put", "login", good.toString());
        assertEquals(0, put.code(), put.toString());
        assertTrue(new String(observer.getData().forPath(LAYOUT.jwksPath("login")), StandardCharsets.UTF_8)
                .contains("\"k1\""));

        Path secret = write(dir, "private.json",
                "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"k2\",\"n\":\"0vx7\",\"e\":\"AQAB\",\"d\":\"X4cT\"}]}");
        CtlRun refused = ctl("jwks", "put", "other", secret.toString());
        assertEquals(1, refused.code(), refused.toString());
        assertTrue(refused.err().contains("keys[0].d: a private key"), refused.err());
        CtlRun notASet = ctl("jwks", "put", "other", write(dir, "x.json", "{\"kty\":\"RSA\"}").toString());
        assertEquals(1, notASet.code(), notASet.toString());
        assertNull(observer.checkExists().forPath(LAYOUT.jwksPath("other")));
    }

    @Test
    void listShowsNamesAndTypesWithoutSecrets() throws Exception {
        String key = ctl("credentials", "add-key", "partners", "acme").out().trim();
        ctl(c -> c.stdin(new ByteArrayInputStream("pw\n".getBytes(StandardCharsets.UTF_8))),
                "credentials", "add-user", "staff", "alice");

        CtlRun list = ctl("credentials", "list");

        assertEquals(0, list.code(), list.toString());
        assertTrue(list.out().matches("(?s).*partners\\s+acme\\s+apiKey\\s+20.*"), list.out());
        assertTrue(list.out().matches("(?s).*staff\\s+alice\\s+basic\\s+20.*"), list.out());
        assertFalse(list.out().contains(key));
        assertFalse(list.out().contains("$2b$"));
        assertFalse(list.out().contains(HexFormat.of().formatHex(Credential.sha256(key))));
    }

    @Test
    void revokeDeletesOneCredentialAndRevokingItAgainExitsOne() throws Exception {
        ctl("credentials", "add-key", "partners", "acme");

        CtlRun revoke = ctl("credentials", "revoke", "partners", "acme");
        assertEquals(0, revoke.code(), revoke.toString());
        assertNull(observer.checkExists().forPath(LAYOUT.credentialPath("partners", "acme")));
        CtlRun twice = ctl("credentials", "revoke", "partners", "acme");
        assertEquals(1, twice.code(), twice.toString());
        assertTrue(twice.err().contains("no credential 'acme' in set 'partners'"), twice.err());
        assertEquals(2, ctl("credentials", "revoke", "partners").code());
    }
}
