package io.zkgate.gateway.auth;

import io.zkgate.gateway.routing.Decision;
import io.zkgate.gateway.routing.HeaderEdits;
import io.zkgate.gateway.routing.RequestView;
import io.zkgate.gateway.routing.RouteEntry;
import io.zkgate.gateway.routing.RouteGuard;
import io.zkgate.schema.Auth;
import io.zkgate.schema.Credential;
import java.nio.ByteBuffer;
import java.security.MessageDigest;

/**
 * A route's {@code auth.apiKey}: the key in the route's header must be one of its credential set's. The key's
 * SHA-256 finds the entry (a hash lookup reveals nothing an attacker can steer, as they cannot choose a hash's
 * bytes) and is then compared in constant time. The key header never reaches the backend; the key's name does, in
 * the route's client header (a client-sent one is replaced).
 * Thread-safe: stateless apart from the live credential store.
 */
final class ApiKeyGuard implements RouteGuard {
    private final String keyHeader;
    private final String nameHeader;
    private final String set;
    private final CredentialStore store;
    private final AuthRejections rejections;
    private final String challenge;

    ApiKeyGuard(Auth.ApiKey config, CredentialStore store, AuthRejections rejections) {
        this.keyHeader = config.keyHeader();
        this.nameHeader = config.nameHeader();
        this.set = config.credentials();
        this.store = store;
        this.rejections = rejections;
        this.challenge = "ApiKey realm=\"zkgate\", header=\"" + keyHeader + "\"";
    }

    @Override
    public Decision check(RequestView request, RouteEntry route, HeaderEdits headers) {
        headers.removeUpstream(keyHeader).removeUpstream(nameHeader);
        String key = request.header(keyHeader);
        if (key == null || key.isEmpty()) {
            return rejections.unauthorized(route, headers, "missing", challenge,
                    "an API key is required in " + keyHeader);
        }
        byte[] digest = Credential.sha256(key.trim());
        CredentialStore.Named found = store.set(set).keys().get(ByteBuffer.wrap(digest));
        if (found == null || !MessageDigest.isEqual(found.digest(), digest)) {
            return rejections.unauthorized(route, headers, "invalid", challenge, "the API key is not valid");
        }
        headers.setUpstream(nameHeader, found.name());
        return null;
    }
}
