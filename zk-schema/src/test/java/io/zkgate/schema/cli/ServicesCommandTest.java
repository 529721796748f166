package io.zkgate.schema.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.schema.ServiceInstance;
import io.zkgate.schema.ServiceInstanceCodec;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.zookeeper.CreateMode;
import org.junit.jupiter.api.Test;

class ServicesCommandTest extends ZkTestSupport {
    private static final long REGISTERED = 1_767_225_600_000L; // 2026-01-01T00:00:00Z

    @Test
    void listShowsEveryInstanceWithAddressWeightStateAndRegistrationTime() throws Exception {
        register(new ServiceInstance("orders", "o-1", "10.0.0.1", 8081, 3, true, REGISTERED, Map.of()));
        register(new ServiceInstance("orders", "o-2", "10.0.0.2", 8081, 0, true, REGISTERED, Map.of()));
        register(new ServiceInstance("users", "u-1", "10.0.0.3", 9000, 1, false, 0, Map.of()));

        CtlRun run = ctl("services", "list");

        assertEquals(0, run.code(), run.toString());
        assertTrue(run.out().matches("(?s)SERVICE +INSTANCE +ADDRESS +WEIGHT +STATE +REGISTERED\\n"
                + "orders +o-1 +10\\.0\\.0\\.1:8081 +3 +up +2026-01-01T00:00:00Z\\n"
                + "orders +o-2 +10\\.0\\.0\\.2:8081 +0 +drained +2026-01-01T00:00:00Z\\n"
                + "users +u-1 +10\\.0\\.0\\.3:9000 +1 +disabled +-\\n"), run.out());
    }

    @Test
    void listOfOneServiceShowsOnlyItsInstancesAndReadsCuratorsOwnPayload() throws Exception {
        register(new ServiceInstance("orders", "o-1", "10.0.0.1", 8081, 1, true, REGISTERED, Map.of()));
        observer.create().creatingParentsIfNeeded().withMode(CreateMode.EPHEMERAL).forPath("/services/users/u-9",
                ("{\"name\":\"users\",\"id\":\"u-9\",\"address\":\"10.0.0.9\",\"port\":7000,\"sslPort\":null,"
                        + "\"payload\":{\"@class\":\"com.example.Payload\",\"weight\":5},"
                        + "\"registrationTimeUTC\":" + REGISTERED + ",\"serviceType\":\"DYNAMIC\",\"uriSpec\":null}")
                        .getBytes(StandardCharsets.UTF_8));

        CtlRun run = ctl("services", "list", "users");

        assertEquals(0, run.code(), run.toString());
        assertTrue(run.out().contains("users    u-9       10.0.0.9:7000  5"), run.out());
        assertTrue(!run.out().contains("orders"), run.out());
    }

    @Test
    void anInvalidInstanceIsShownAsInvalid() throws Exception {
        observer.create().creatingParentsIfNeeded().forPath("/services/bad/b-1",
                "{\"name\":\"bad\",\"id\":\"b-1\",\"address\":\"h\"}".getBytes(StandardCharsets.UTF_8));

        CtlRun run = ctl("services", "list");

        assertEquals(0, run.code(), run.toString());
        assertTrue(run.out().contains("bad      b-1       INVALID: port: missing"), run.out());
    }

    @Test
    void listToleratesAnAbsentServicesTreeAndNamesAMissingService() {
        CtlRun all = ctl("services", "list");
        CtlRun one = ctl("services", "list", "ghost");

        assertEquals(0, all.code(), all.toString());
        assertTrue(all.out().contains("no services registered (/services does not exist)"), all.out());
        assertEquals(1, one.code(), one.toString());
        assertTrue(one.err().contains("no service 'ghost'"), one.err());
    }

    private static void register(ServiceInstance i) throws Exception {
        observer.create().creatingParentsIfNeeded().withMode(CreateMode.EPHEMERAL)
                .forPath(LAYOUT.instancePath(i.name(), i.id()), ServiceInstanceCodec.toJson(i));
    }
}
