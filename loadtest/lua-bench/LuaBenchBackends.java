import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.zkgate.agent.ServiceRegistration;
import io.zkgate.schema.Credential;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.zookeeper.KeeperException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The other side of lua-bench.sh, run in its own JVM from the gateway jar's class path: two Jetty backends on
 * 127.0.0.1 answering "ok", registered as service "bench" in the gateway's ZooKeeper, the example scripts
 * header-injection and api-key plus a script that does nothing, and four routes to the same service: /plain (no
 * script), /empty (the do-nothing script), /inject and /apikey.
 * With a third argument {@code auth} (BENCH=auth lua-bench.sh) it sets up route authentication instead: /plain
 * without it, /jwt with {@code auth.jwt} (RS256, keys from a JWKS this JVM serves) and /key with {@code auth.apiKey}
 * (one key in credential set "bench"), and prints {@code TOKEN <jwt>} and {@code APIKEY <key>} before READY.
 * With {@code edge} (BENCH=edge lua-bench.sh): /plain and /cors, the same route with {@code cors} allowing
 * {@code https://app.example}.
 * With {@code ids} (BENCH=ids lua-bench.sh): /plain and /aa as they are, /noids and /noids2 the same route with
 * {@code "requestIds": false}.
 * Runs until its standard input closes.
 *
 * Usage: java -cp zkgate-gateway.jar LuaBenchBackends.java ZK_CONNECT SCRIPTS_DIR [auth|edge|ids]
 * Runs on its main thread; the backends are thread-safe Jetty servers.
 */
public class LuaBenchBackends {
    public static void main(String[] args) throws Exception {
        CuratorFramework zk = CuratorFrameworkFactory.newClient(args[0], new RetryOneTime(500));
        zk.start();
        zk.blockUntilConnected();
        List<Server> servers = new ArrayList<>();
        List<ServiceRegistration> registrations = new ArrayList<>();
        for (int i = 1; i <= 2; i++) {
            Server server = backend();
            servers.add(server);
            int port = ((ServerConnector) server.getConnectors()[0]).getLocalPort();
            registrations.add(ServiceRegistration.register(zk, "/services", "bench", "bench-" + i, "127.0.0.1", port, 1,
                    Map.of()));
        }
        if (args.length > 2 && args[2].equals("auth")) {
            servers.add(auth(zk));
        } else if (args.length > 2 && args[2].equals("edge")) {
            put(zk, "/zkgate/routes/plain", route("plain", null));
            put(zk, "/zkgate/routes/cors", "{\"id\":\"cors\",\"match\":{\"pathPrefix\":\"/cors\"},\"service\":\"bench\","
                    + "\"stripPrefix\":true,\"cors\":{\"allowOrigins\":[\"https://app.example\"]}}");
        } else if (args.length > 2 && args[2].equals("ids")) {
            put(zk, "/zkgate/routes/plain", route("plain", null));
            put(zk, "/zkgate/routes/aa", route("aa", null));
            for (String id : new String[] {"noids", "noids2"}) {
                put(zk, "/zkgate/routes/" + id, "{\"id\":\"" + id + "\",\"match\":{\"pathPrefix\":\"/" + id
                        + "\"},\"service\":\"bench\",\"stripPrefix\":true,\"requestIds\":false}");
            }
        } else {
            scripts(zk, Path.of(args[1]));
        }
        System.out.println("READY");
        System.out.flush();
        while (System.in.read() >= 0) {
            // wait for the script to close our input
        }
        registrations.forEach(ServiceRegistration::close);
        for (Server s : servers) {
            s.stop();
        }
        zk.close();
    }

    private static void scripts(CuratorFramework zk, Path scripts) throws Exception {
        for (String name : new String[] {"header-injection", "api-key"}) {
            put(zk, "/zkgate/scripts/" + name, Files.readString(scripts.resolve(name + ".lua")));
        }
        put(zk, "/zkgate/scripts/empty", "function on_request(req) end\n");
        put(zk, "/zkgate/routes/plain", route("plain", null));
        put(zk, "/zkgate/routes/empty", route("empty", "empty"));
        put(zk, "/zkgate/routes/inject", route("inject", "header-injection"));
        put(zk, "/zkgate/routes/apikey", route("apikey", "api-key"));
    }

    /** The auth routes, a JWKS server for the JWT route, a key for the API-key route; returns the JWKS server. */
    private static Server auth(CuratorFramework zk) throws Exception {
        RSAKey key = new RSAKeyGenerator(2048).keyID("bench").generate();
        byte[] jwks = new JWKSet(key.toPublicJWK()).toString().getBytes(StandardCharsets.UTF_8);
        Server issuer = server((request, response, callback) -> {
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
            response.write(true, ByteBuffer.wrap(jwks), callback);
            return true;
        });
        int port = ((ServerConnector) issuer.getConnectors()[0]).getLocalPort();
        String apiKey = Credential.newApiKey();
        put(zk, "/zkgate/credentials/bench/bench-client", new String(Credential.apiKey(apiKey, null).toJson(),
                StandardCharsets.UTF_8));
        put(zk, "/zkgate/routes/plain", route("plain", null));
        put(zk, "/zkgate/routes/jwt", "{\"id\":\"jwt\",\"match\":{\"pathPrefix\":\"/jwt\"},\"service\":\"bench\","
                + "\"stripPrefix\":true,\"auth\":{\"jwt\":{\"issuer\":\"https://bench.test/\","
                + "\"audiences\":[\"bench\"],"
                + "\"jwksUri\":\"http://127.0.0.1:" + port + "/jwks\",\"algorithms\":[\"RS256\"],"
                + "\"claimsToHeaders\":{\"sub\":\"X-User-Id\"}}}}");
        put(zk, "/zkgate/routes/key", "{\"id\":\"key\",\"match\":{\"pathPrefix\":\"/key\"},\"service\":\"bench\","
                + "\"stripPrefix\":true,\"auth\":{\"apiKey\":{\"credentials\":\"bench\"}}}");
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("bench").build(),
                new JWTClaimsSet.Builder().issuer("https://bench.test/").audience("bench").subject("bench-user")
                        .expirationTime(new Date(System.currentTimeMillis() + 86_400_000L)).build());
        jwt.sign(new RSASSASigner(key));
        System.out.println("TOKEN " + jwt.serialize());
        System.out.println("APIKEY " + apiKey);
        return issuer;
    }

    private static String route(String id, String script) {
        return "{\"id\":\"" + id + "\",\"match\":{\"pathPrefix\":\"/" + id + "\"},\"service\":\"bench\",\"stripPrefix\":true"
                + (script == null ? "" : ",\"script\":\"" + script + "\"") + "}";
    }

    private static void put(CuratorFramework zk, String path, String text) throws Exception {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        try {
            zk.create().creatingParentsIfNeeded().forPath(path, bytes);
        } catch (KeeperException.NodeExistsException e) {
            zk.setData().forPath(path, bytes);
        }
    }

    private static Server backend() throws Exception {
        byte[] body = "ok\n".getBytes(StandardCharsets.UTF_8);
        return server((request, response, callback) -> {
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain");
            response.write(true, ByteBuffer.wrap(body), callback);
            return true;
        });
    }

    /** What a bench server does with each request. */
    private interface Answer {
        boolean handle(Request request, Response response, Callback callback) throws Exception;
    }

    private static Server server(Answer answer) throws Exception {
        QueuedThreadPool pool = new QueuedThreadPool(16, 2);
        Server server = new Server(pool);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        ServerConnector connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(http));
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract.NonBlocking() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                return answer.handle(request, response, callback);
            }
        });
        server.start();
        return server;
    }
}
