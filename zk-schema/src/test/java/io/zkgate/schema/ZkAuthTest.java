package io.zkgate.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.apache.zookeeper.server.auth.DigestAuthenticationProvider;
import org.junit.jupiter.api.Test;

class ZkAuthTest {
    @Test
    void theAclIdIsTheDigestZooKeeperComputes() throws Exception {
        ZkAuth auth = ZkAuth.parse("ops:pa:ss");

        assertEquals("ops", auth.user());
        assertEquals("pa:ss", auth.password());
        assertEquals(DigestAuthenticationProvider.generateDigest("ops:pa:ss"), auth.id().getId());
        assertEquals("digest", auth.id().getScheme());
    }

    @Test
    void malformedCredentialsAreRefusedWithoutEchoingThem() {
        for (String bad : new String[] {"nocolon", ":pw9", "usr9:", ""}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ZkAuth.parse(bad));
            assertFalse(!bad.isEmpty() && e.getMessage().contains(bad), e.getMessage());
        }
        assertFalse(ZkAuth.parse("ops:secret").toString().contains("secret"));
    }
}
