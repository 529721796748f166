package io.zkgate.gateway.support;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;

/**
 * A token issuer for tests: RSA keys, a real Jetty server publishing their public JWKS at {@code /jwks}, counting
 * fetches, and able to rotate keys or go down. Thread-safe.
 */
public final class JwksIssuer implements AutoCloseable {
    private final AtomicReference<JWKSet> published = new AtomicReference<>(new JWKSet());
    private final AtomicInteger fetches = new AtomicInteger();
    private final Server server;

    public JwksIssuer() throws Exception {
        server = LoopbackServer.start("jwks", 0, new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                fetches.incrementAndGet();
                byte[] body = published.get().toPublicJWKSet().toString().getBytes(StandardCharsets.UTF_8);
                response.setStatus(200);
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
                response.write(true, ByteBuffer.wrap(body), callback);
                return true;
            }
        });
    }

    /** A fresh 2048-bit RSA key with this key id. */
    public static RSAKey newKey(String kid) throws JOSEException {
        return new RSAKeyGenerator(2048).keyID(kid).generate();
    }

    /** Publishes exactly these keys (their public halves). */
    public void publish(JWK... keys) {
        published.set(new JWKSet(List.of(keys)));
    }

    public String jwksUri() {
        return "http://127.0.0.1:" + LoopbackServer.port(server) + "/jwks";
    }

    public int fetches() {
        return fetches.get();
    }

    /** The issuer goes down: its port refuses connections. */
    public void stop() {
        LoopbackServer.stop(server);
    }

    /** An RS256 token signed with {@code key}, its kid in the header. */
    public static String sign(RSAKey key, JWTClaimsSet claims) throws JOSEException {
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID()).build(), claims);
        jwt.sign(new RSASSASigner(key));
        return jwt.serialize();
    }

    @Override
    public void close() {
        if (!server.isStopped()) {
            stop();
        }
    }
}
