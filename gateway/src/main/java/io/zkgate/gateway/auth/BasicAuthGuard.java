package io.zkgate.gateway.auth;

import io.zkgate.gateway.routing.Decision;
import io.zkgate.gateway.routing.ErrorResponse;
import io.zkgate.gateway.routing.HeaderEdits;
import io.zkgate.gateway.routing.RequestView;
import io.zkgate.gateway.routing.RouteEntry;
import io.zkgate.gateway.routing.RouteGuard;
import io.zkgate.schema.Auth;
import io.zkgate.schema.Credential;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * A route's {@code auth.basic} (RFC 7617): the user must be in the route's credential set and the password must
 * match its bcrypt hash. bcrypt is slow on purpose, so verdicts are cached ({@link VerifiedPasswords}). On a cache
 * miss a thread that may block (the servlet engine's) runs bcrypt itself; an event loop never does: it hands the
 * check to a small background pool and answers 503 {@code auth_pending} with {@code Retry-After: 1}, and the
 * client's retry finds the verdict cached (the loop keeps serving its other connections meanwhile). An unknown user
 * costs the same bcrypt as a known one, so timing does not tell which user names exist. The Authorization header
 * never reaches the backend; the user name does, in the route's client header.
 * Thread-safe: the cache and store are concurrent, the rest is immutable.
 */
final class BasicAuthGuard implements RouteGuard {
    /** A bcrypt hash of a random string, checked for unknown users so they take as long as known ones. */
    private static final String UNKNOWN_USER_HASH = "$2b$10$YVy5AqoP3Lz2pgqN29gHC.8YEXImKQEHKhdXyMQCu7Z7vgjgzDIde";
    private static final String UNKNOWN = "(unknown)";

    private final String set;
    private final String nameHeader;
    private final String challenge;
    private final CredentialStore store;
    private final VerifiedPasswords verified;
    private final Executor checks;
    private final AuthRejections rejections;

    BasicAuthGuard(Auth.Basic config, CredentialStore store, VerifiedPasswords verified, Executor checks,
            AuthRejections rejections) {
        this.set = config.credentials();
        this.nameHeader = config.nameHeader();
        this.challenge = "Basic realm=\"" + config.realmName() + "\", charset=\"UTF-8\"";
        this.store = store;
        this.verified = verified;
        this.checks = checks;
        this.rejections = rejections;
    }

    @Override
    public Decision check(RequestView request, RouteEntry route, HeaderEdits headers) {
        headers.removeUpstream("Authorization").removeUpstream(nameHeader);
        String authorization = request.header("Authorization");
        if (authorization == null || !authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
            return rejections.unauthorized(route, headers, "missing", challenge, "basic authentication is required");
        }
        String pair;
        try {
            pair = new String(Base64.getDecoder().decode(authorization.substring(6).trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return invalid(route, headers, "malformed");
        }
        int colon = pair.indexOf(':');
        if (colon <= 0) {
            return invalid(route, headers, "malformed");
        }
        String user = pair.substring(0, colon);
        String password = pair.substring(colon + 1);
        String hash = store.set(set).passwords().get(user);
        String against = hash == null ? UNKNOWN : hash;
        ByteBuffer key = ByteBuffer.wrap(Credential.sha256(set + '\0' + user + '\0' + password));
        VerifiedPasswords.Verdict verdict = verified.get(key, against);
        if (verdict == null && request.mayBlock()) {
            verdict = checkNow(key, hash, against, password);
        }
        if (verdict == null) {
            checkLater(key, hash, against, password);
            rejections.count("pending");
            return new Decision.Refuse(route, ErrorResponse.AUTH_PENDING,
                    "the credentials are being checked; retry in a second", headers.setResponse("Retry-After", "1"));
        }
        if (!verdict.ok()) {
            return invalid(route, headers, "invalid");
        }
        headers.setUpstream(nameHeader, user);
        return null;
    }

    private VerifiedPasswords.Verdict checkNow(ByteBuffer key, String hash, String against, String password) {
        boolean ok = Credential.bcryptMatches(hash == null ? UNKNOWN_USER_HASH : hash, password.toCharArray())
                && hash != null;
        VerifiedPasswords.Verdict verdict = new VerifiedPasswords.Verdict(against, ok);
        verified.put(key, verdict);
        return verdict;
    }

    private void checkLater(ByteBuffer key, String hash, String against, String password) {
        if (!verified.startCheck(key)) {
            return;
        }
        try {
            checks.execute(() -> {
                try {
                    checkNow(key, hash, against, password);
                } finally {
                    verified.endCheck(key);
                }
            });
        } catch (RejectedExecutionException e) {
            verified.endCheck(key); // the pool is full: the client's retry tries again
        }
    }

    private Decision invalid(RouteEntry route, HeaderEdits headers, String reason) {
        return rejections.unauthorized(route, headers, reason, challenge, "the user name or password is not valid");
    }
}
