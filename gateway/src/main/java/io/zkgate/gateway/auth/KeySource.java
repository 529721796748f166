package io.zkgate.gateway.auth;

import com.nimbusds.jose.jwk.JWKSet;

/** The keys a JWT route verifies with, as of now. Implementations are thread-safe and never block. */
interface KeySource {
    /** The current key set; empty when none was ever read. */
    JWKSet keys();

    /** A token named a key the set does not hold: fetch again in the background, if the rate limit allows. */
    void unknownKey();
}
