package io.zkgate.gateway.loop;

import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;

/**
 * The header fields neither direction copies through: hop-by-hop ones (RFC 9110, 7.6.1), those a Connection header
 * names, and those the gateway writes itself. Stateless.
 */
final class HopByHop {
    /** Request fields never sent upstream: hop-by-hop, and the ones the gateway sets itself. */
    private static final Set<String> REQUEST_NOT_FORWARDED = Set.of("connection", "keep-alive", "proxy-connection",
            "te", "trailer", "transfer-encoding", "upgrade", "host", "x-forwarded-for", "x-forwarded-proto",
            "x-forwarded-host", "content-length", "expect");
    /** Response fields never relayed to the client: hop-by-hop, and the framing the gateway chooses itself. */
    private static final Set<String> RESPONSE_NOT_FORWARDED = Set.of("connection", "keep-alive", "proxy-connection",
            "te", "trailer", "transfer-encoding", "upgrade", "content-length");

    private HopByHop() {}

    /** Whether a request field goes upstream; {@code named} is what {@link #connectionTokens} found. */
    static boolean forwardedUpstream(HttpField field, Set<String> named) {
        String name = field.getLowerCaseName();
        return !REQUEST_NOT_FORWARDED.contains(name) && (named == null || !named.contains(name));
    }

    /** Whether a response field (its lower-case {@code name}) is relayed to the client; {@code named} as above. */
    static boolean relayedToClient(String name, Set<String> named) {
        return !RESPONSE_NOT_FORWARDED.contains(name) && (named == null || !named.contains(name));
    }

    /** Header names the Connection header lists (they are hop-by-hop too), lower case; null when none. */
    static Set<String> connectionTokens(HttpFields headers) {
        String connection = headers.get(HttpHeader.CONNECTION);
        if (connection == null || connection.equalsIgnoreCase("keep-alive") || connection.equalsIgnoreCase("close")) {
            return null; // the usual values name no other header: no set to build
        }
        HashSet<String> names = new HashSet<>();
        for (String token : connection.split(",")) {
            names.add(token.trim().toLowerCase(Locale.ROOT));
        }
        return names;
    }
}
