package io.zkgate.gateway.upstream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleResponse;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import io.zkgate.gateway.support.GatewayFixture;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * gRPC through the gateway end to end, with grpc-java's own client and server: the client speaks h2c to the
 * gateway's servlet engine, the route speaks h2c to the backends.
 */
class GrpcEndToEndTest {
    private static final String ROUTE = "{\"id\":\"grpc\",\"match\":{\"pathPrefix\":\"/grpc.testing.SimpleService\"},"
            + "\"service\":\"grpc\",\"upstream\":{\"protocol\":\"h2c\"}%s}";

    private GatewayFixture f;
    private ManagedChannel channel;
    private final List<Server> servers = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        f = new GatewayFixture("--engine", "servlet", "--h2c");
        channel = NettyChannelBuilder.forAddress(new InetSocketAddress("127.0.0.1", f.port())).usePlaintext().build();
    }

    @AfterEach
    void stop() throws Exception {
        channel.shutdownNow();
        for (Server s : servers) {
            s.shutdownNow();
        }
        f.close();
    }

    /** A backend named {@code name}: echoes with its name, streams, fails with NOT_FOUND on "missing", sleeps on "slow". */
    private Server backend(String name, CountDownLatch streaming) throws Exception {
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(new SimpleServiceGrpc.SimpleServiceImplBase() {
                    @Override
                    public void unaryRpc(SimpleRequest request, StreamObserver<SimpleResponse> out) {
                        String m = request.getRequestMessage();
                        if (m.equals("missing")) {
                            out.onError(Status.NOT_FOUND.withDescription("no such thing: ünïcode").asRuntimeException());
                            return;
                        }
                        if (m.equals("slow")) {
                            sleep(3000);
                        }
                        out.onNext(reply(name + ":" + m));
                        out.onCompleted();
                    }

                    @Override
                    public void serverStreamingRpc(SimpleRequest request, StreamObserver<SimpleResponse> out) {
                        for (int i = 0; i < 3; i++) {
                            out.onNext(reply(request.getRequestMessage() + i));
                        }
                        if (streaming != null) {
                            streaming.countDown(); // the test kills the backend now; the call never completes
                            return;
                        }
                        out.onCompleted();
                    }

                    @Override
                    public StreamObserver<SimpleRequest> clientStreamingRpc(StreamObserver<SimpleResponse> out) {
                        StringBuilder all = new StringBuilder();
                        return new StreamObserver<>() {
                            @Override
                            public void onNext(SimpleRequest r) {
                                all.append(r.getRequestMessage());
                            }

                            @Override
                            public void onError(Throwable t) {}

                            @Override
                            public void onCompleted() {
                                out.onNext(reply(all.toString()));
                                out.onCompleted();
                            }
                        };
                    }

                    @Override
                    public StreamObserver<SimpleRequest> bidiStreamingRpc(StreamObserver<SimpleResponse> out) {
                        return new StreamObserver<>() {
                            @Override
                            public void onNext(SimpleRequest r) {
                                out.onNext(reply("echo " + r.getRequestMessage()));
                            }

                            @Override
                            public void onError(Throwable t) {}

                            @Override
                            public void onCompleted() {
                                out.onCompleted();
                            }
                        };
                    }
                })
                .build().start();
        servers.add(server);
        return server;
    }

    private static SimpleResponse reply(String text) {
        return SimpleResponse.newBuilder().setResponseMessage(text).build();
    }

    private static SimpleRequest request(String text) {
        return SimpleRequest.newBuilder().setRequestMessage(text).build();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void route(String extra) throws Exception {
        f.writer.putRoute("grpc", String.format(ROUTE, extra));
    }

    private SimpleServiceGrpc.SimpleServiceBlockingStub blocking() {
        return SimpleServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    private void awaitRouted() {
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
                .until(() -> blocking().unaryRpc(request("ping")).getResponseMessage().endsWith(":ping"));
    }

    @Test
    void theFourCallKindsGoThroughTheGatewayToAnH2cBackend() throws Exception {
        f.writer.register("grpc", "a", backend("a", null).getPort(), 1);
        route("");
        awaitRouted();

        assertEquals("a:hello", blocking().unaryRpc(request("hello")).getResponseMessage());

        List<String> streamed = new ArrayList<>();
        blocking().serverStreamingRpc(request("n")).forEachRemaining(r -> streamed.add(r.getResponseMessage()));
        assertEquals(List.of("n0", "n1", "n2"), streamed);

        CompletableFuture<String> joined = new CompletableFuture<>();
        StreamObserver<SimpleRequest> up = SimpleServiceGrpc.newStub(channel).clientStreamingRpc(observer(joined::complete, joined));
        up.onNext(request("x"));
        up.onNext(request("y"));
        up.onNext(request("z"));
        up.onCompleted();
        assertEquals("xyz", joined.get(10, TimeUnit.SECONDS));

        // Bidirectional: each reply arrives before the next request is sent, so both directions stream at once.
        LinkedBlockingQueue<String> replies = new LinkedBlockingQueue<>();
        CompletableFuture<String> done = new CompletableFuture<>();
        StreamObserver<SimpleRequest> bidi = SimpleServiceGrpc.newStub(channel).bidiStreamingRpc(
                observer(replies::add, done));
        for (String m : List.of("one", "two", "three")) {
            bidi.onNext(request(m));
            assertEquals("echo " + m, replies.poll(10, TimeUnit.SECONDS));
        }
        bidi.onCompleted();
        assertEquals("done", done.get(10, TimeUnit.SECONDS));
    }

    @Test
    void aBackendsGrpcStatusAndMessageReachTheClientInTheTrailers() throws Exception {
        f.writer.register("grpc", "a", backend("a", null).getPort(), 1);
        route("");
        awaitRouted();

        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> blocking().unaryRpc(request("missing")));

        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
        assertEquals("no such thing: ünïcode", e.getStatus().getDescription());
    }

    @Test
    void grpcTimeoutIsTheCallsDeadlineThroughTheGateway() throws Exception {
        f.writer.register("grpc", "a", backend("a", null).getPort(), 1);
        route(",\"timeouts\":{\"responseMs\":60000}");
        awaitRouted();

        long start = System.nanoTime();
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> SimpleServiceGrpc
                .newBlockingStub(channel).withDeadlineAfter(500, TimeUnit.MILLISECONDS).unaryRpc(request("slow")));

        assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode());
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(3), "not held for the backend's 3 s");
    }

    @Test
    void noInstanceOrAnUnreachableBackendIsUnavailableInTrailersNotAnErrorPage() throws Exception {
        route("");
        awaitUnavailable("no_instances");

        Server gone = backend("gone", null);
        int port = gone.getPort();
        gone.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        f.writer.register("grpc", "gone", port, 1);
        awaitUnavailable("upstream_unreachable");
    }

    @Test
    void aBackendKilledMidStreamEndsTheCallUnavailable() throws Exception {
        CountDownLatch streaming = new CountDownLatch(1);
        Server doomed = backend("doomed", streaming);
        f.writer.register("grpc", "doomed", doomed.getPort(), 1);
        route("");
        awaitRouted();

        Iterator<SimpleResponse> stream = blocking().serverStreamingRpc(request("m"));
        assertEquals("m0", stream.next().getResponseMessage());
        assertTrue(streaming.await(10, TimeUnit.SECONDS));
        doomed.shutdownNow();

        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> {
            while (stream.hasNext()) {
                stream.next();
            }
        });
        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.getStatus().toString());
    }

    @Test
    void consistentHashingOnAMetadataHeaderKeepsAUserOnOneBackend() throws Exception {
        f.writer.register("grpc", "a", backend("a", null).getPort(), 1);
        f.writer.register("grpc", "b", backend("b", null).getPort(), 1);
        f.writer.register("grpc", "c", backend("c", null).getPort(), 1);
        route(",\"lb\":{\"policy\":\"consistent_hash\",\"hashKey\":\"header:x-user\"}");
        awaitRouted();

        List<String> backends = new ArrayList<>();
        for (String user : List.of("ann", "bob", "cid", "dan", "eve", "fay")) {
            Metadata md = new Metadata();
            md.put(Metadata.Key.of("x-user", Metadata.ASCII_STRING_MARSHALLER), user);
            SimpleServiceGrpc.SimpleServiceBlockingStub stub = blocking()
                    .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md));
            String first = stub.unaryRpc(request(user)).getResponseMessage();
            for (int i = 0; i < 5; i++) {
                assertEquals(first, stub.unaryRpc(request(user)).getResponseMessage(), "user " + user);
            }
            backends.add(first.substring(0, 1));
        }
        assertTrue(backends.stream().distinct().count() > 1, "keys spread over backends: " + backends);
    }

    /** Waits until a unary call fails UNAVAILABLE (in the trailers) with {@code reason} in its description. */
    private void awaitUnavailable(String reason) {
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            try {
                blocking().unaryRpc(request("x"));
                return false;
            } catch (StatusRuntimeException e) {
                return e.getStatus().getCode() == Status.Code.UNAVAILABLE
                        && String.valueOf(e.getStatus().getDescription()).contains(reason);
            }
        });
    }

    /**
     * Hands each response's message to {@code messages}; completes {@code done} with "done" at the end of the stream
     * (unless a message completed it first), exceptionally on an error.
     */
    private static StreamObserver<SimpleResponse> observer(Consumer<String> messages, CompletableFuture<String> done) {
        return new StreamObserver<>() {
            @Override
            public void onNext(SimpleResponse r) {
                messages.accept(r.getResponseMessage());
            }

            @Override
            public void onError(Throwable t) {
                done.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
                done.complete("done");
            }
        };
    }
}
