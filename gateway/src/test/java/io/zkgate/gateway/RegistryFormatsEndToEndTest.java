package io.zkgate.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.zkgate.gateway.routing.ServicePool;
import io.zkgate.gateway.support.GatewayFixture;
import io.zkgate.gateway.support.Http;
import io.zkgate.gateway.support.TestBackend;
import io.zkgate.gateway.support.ZkWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.apache.zookeeper.CreateMode;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Services registered by other ecosystems' ZooKeeper clients, written here byte for byte as those clients write them
 * (each payload's source is cited beside it), are routable without any setting.
 */
class RegistryFormatsEndToEndTest {
    @AutoClose
    private static GatewayFixture f;

    @BeforeAll
    static void start() throws Exception {
        f = new GatewayFixture();
    }

    /**
     * Apache Dubbo 3, application-level service discovery on ZooKeeper: {@code ZookeeperServiceDiscovery} registers
     * through curator-x-discovery under {@code /services/<application>} with id {@code host:port} and a
     * {@code org.apache.dubbo.registry.zookeeper.ZookeeperInstance} payload ({@code id}, {@code name},
     * {@code metadata}) built by {@code CuratorFrameworkUtils.build(ServiceInstance)}; the instance port is the first
     * protocol's, and {@code ServiceInstanceMetadataUtils.setEndpoints} puts every protocol's port in the metadata
     * entry {@code dubbo.endpoints} as a JSON string of {@code {"port":..,"protocol":..}} (apache/dubbo,
     * dubbo-registry-zookeeper and dubbo-registry-api).
     */
    @Test
    void aDubboApplicationIsReachedOnItsTripleEndpointNeverOnItsDubboPortAndOneWithoutHttpIsRefused()
            throws Exception {
        TestBackend tri = f.closeLater(TestBackend.start("dubbo-tri"));
        TestBackend binary = f.closeLater(TestBackend.start("dubbo-binary-port"));
        String dubbo = "{\"name\":\"shop\",\"id\":\"127.0.0.1:" + binary.port() + "\",\"address\":\"127.0.0.1\","
                + "\"port\":" + binary.port() + ",\"sslPort\":null,\"payload\":{\"@class\":"
                + "\"org.apache.dubbo.registry.zookeeper.ZookeeperInstance\",\"id\":null,\"name\":\"shop\","
                + "\"metadata\":{\"dubbo.endpoints\":\"[{\\\"port\\\":" + binary.port() + ",\\\"protocol\\\":"
                + "\\\"dubbo\\\"},{\\\"port\\\":" + tri.port() + ",\\\"protocol\\\":\\\"tri\\\"}]\","
                + "\"dubbo.metadata.revision\":\"9d7f5a6c2f1e4b3a\",\"dubbo.metadata.storage-type\":\"local\","
                + "\"timestamp\":\"1733040000000\"}},\"registrationTimeUTC\":1733040000000,\"serviceType\":"
                + "\"DYNAMIC\",\"uriSpec\":null}";
        ephemeral("/services/shop/127.0.0.1:" + binary.port(), dubbo);
        String dubboOnly = dubbo.replace(",{\\\"port\\\":" + tri.port() + ",\\\"protocol\\\":\\\"tri\\\"}", "")
                .replace("\"shop\"", "\"legacy\"");
        ephemeral("/services/legacy/127.0.0.1:" + binary.port(), dubboOnly);
        f.writer.putRoute("shop", ZkWriter.route("shop", "/shop", "shop"));
        f.writer.putRoute("legacy", ZkWriter.route("legacy", "/legacy", "legacy"));

        awaitRoutable("shop", 1);
        for (int i = 0; i < 5; i++) {
            assertEquals("dubbo-tri", Http.backendOf(Http.get(f.port(), "/shop/cart")));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> f.gateway.snapshots().current().routes().entries()
                .stream().anyMatch(e -> e.id().equals("legacy")));
        assertEquals(503, Http.get(f.port(), "/legacy/x").statusCode(), "no HTTP endpoint: refused, not routed");
        assertEquals(0, binary.hits(), "the binary dubbo port got nothing");
    }

    /**
     * Finagle / Aurora ServerSets: each member is an ephemeral-sequential {@code member_} znode holding the
     * {@code ServiceInstance} JSON of Aurora's {@code JsonCodec} (Gson): {@code serviceEndpoint} and
     * {@code additionalEndpoints} of {@code {"host","port"}}, {@code status} as the enum's name, optional
     * {@code shard} (apache/aurora, commons/src/main/java/org/apache/aurora/common/zookeeper/JsonCodec.java and
     * ServerSetImpl; the same format as twitter/commons and Finagle's serverset2).
     */
    @Test
    void aServerSetIsReachedOnItsHttpEndpointThroughAliveMembersOnly() throws Exception {
        TestBackend http = f.closeLater(TestBackend.start("serverset-http"));
        TestBackend thrift = f.closeLater(TestBackend.start("serverset-service-endpoint"));
        TestBackend starting = f.closeLater(TestBackend.start("serverset-starting"));
        TestBackend plain = f.closeLater(TestBackend.start("serverset-plain"));
        f.operator.create().creatingParentContainersIfNeeded().withMode(CreateMode.EPHEMERAL_SEQUENTIAL)
                .forPath("/services/hello/member_", bytes("{\"serviceEndpoint\":{\"host\":\"127.0.0.1\",\"port\":"
                        + thrift.port() + "},\"additionalEndpoints\":{\"http\":{\"host\":\"127.0.0.1\",\"port\":"
                        + http.port() + "},\"aurora\":{\"host\":\"127.0.0.1\",\"port\":" + thrift.port()
                        + "}},\"status\":\"ALIVE\",\"shard\":0}"));
        f.operator.create().withMode(CreateMode.EPHEMERAL_SEQUENTIAL).forPath("/services/hello/member_",
                bytes("{\"serviceEndpoint\":{\"host\":\"127.0.0.1\",\"port\":" + starting.port() + "},"
                        + "\"additionalEndpoints\":{},\"status\":\"STARTING\",\"shard\":1}"));
        f.operator.create().creatingParentContainersIfNeeded().withMode(CreateMode.EPHEMERAL_SEQUENTIAL)
                .forPath("/services/plain/member_", bytes("{\"serviceEndpoint\":{\"host\":\"127.0.0.1\",\"port\":"
                        + plain.port() + "},\"additionalEndpoints\":{},\"status\":\"ALIVE\"}"));
        f.writer.putRoute("hello", ZkWriter.route("hello", "/hello", "hello"));
        f.writer.putRoute("plain", ZkWriter.route("plain", "/plain", "plain"));

        awaitRoutable("hello", 1);
        awaitRoutable("plain", 1);
        assertEquals(2, f.gateway.snapshots().current().services().get("hello").all().size(),
                "the STARTING member is known but not routed");
        for (int i = 0; i < 6; i++) {
            assertEquals("serverset-http", Http.backendOf(Http.get(f.port(), "/hello/")));
        }
        assertEquals("serverset-plain", Http.backendOf(Http.get(f.port(), "/plain/")),
                "without an http endpoint, the service endpoint");
        assertEquals(0, thrift.hits() + starting.hits());
    }

    /**
     * Airbnb Nerve (SmartStack): its ZooKeeper reporter creates an ephemeral-sequential {@code <instance_id>_} znode
     * under the service's {@code zk_path} holding {@code {"host","port","name","weight"}}, weight only when
     * configured (airbnb/nerve, lib/nerve/reporter/zookeeper.rb and base.rb {@code get_service_data}).
     */
    @Test
    void aNerveServiceIsRoutableWithItsWeights() throws Exception {
        TestBackend heavy = f.closeLater(TestBackend.start("nerve-heavy"));
        TestBackend light = f.closeLater(TestBackend.start("nerve-light"));
        f.operator.create().creatingParentContainersIfNeeded().withMode(CreateMode.EPHEMERAL_SEQUENTIAL)
                .forPath("/services/web/web-1_", bytes("{\"host\":\"127.0.0.1\",\"port\":" + heavy.port()
                        + ",\"name\":\"web-1\",\"weight\":3}"));
        f.operator.create().withMode(CreateMode.EPHEMERAL_SEQUENTIAL).forPath("/services/web/web-2_",
                bytes("{\"host\":\"127.0.0.1\",\"port\":" + light.port() + ",\"name\":\"web-2\"}"));
        f.writer.putRoute("web", "{\"id\":\"web\",\"match\":{\"pathPrefix\":\"/web\"},\"service\":\"web\","
                + "\"lb\":{\"policy\":\"weighted_round_robin\"}}");

        awaitRoutable("web", 2);
        for (int i = 0; i < 8; i++) {
            Http.get(f.port(), "/web/");
        }
        assertEquals(6, heavy.hits());
        assertEquals(2, light.hits());
    }

    @Test
    void aCuratorDiscoveryRegistrationIsStillRoutableBesideTheOthers() throws Exception {
        TestBackend b = f.closeLater(TestBackend.start("curator"));
        f.writer.register("curated", "1", b.port(), 1);
        f.writer.putRoute("curated", ZkWriter.route("curated", "/curated", "curated"));
        awaitRoutable("curated", 1);
        assertEquals("curator", Http.backendOf(Http.get(f.port(), "/curated/")));
    }

    private static void awaitRoutable(String route, int instances) {
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            ServicePool pool = f.gateway.snapshots().current().services().get(route);
            return pool != null && pool.routable().length == instances && f.gateway.snapshots().current().routes()
                    .entries().stream().anyMatch(e -> e.id().equals(route)
                            && e.balancer().endpoints().length == instances);
        });
    }

    private static void ephemeral(String path, String json) throws Exception {
        f.operator.create().creatingParentContainersIfNeeded().withMode(CreateMode.EPHEMERAL).forPath(path,
                bytes(json));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
