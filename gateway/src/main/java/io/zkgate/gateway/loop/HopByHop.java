package io.zkgate.gateway.loop;

import java.util.EnumSet;
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
    /** The same sets by Jetty's header enum, which parsed fields of these names carry: a bit test per field. */
    private static final EnumSet<HttpHeader> REQUEST_NOT_FORWARDED_KNOWN = known(REQUEST_NOT_FORWARDED);
    private static final EnumSet<HttpHeader> RESPONSE_NOT_FORWARDED_KNOWN = known(RESPONSE_NOT_FORWARDED);

    private HopByHop() {}

    private static EnumSet<HttpHeader> known(Set<String> names) {
        EnumSet<HttpHeader> set = EnumSet.noneOf(HttpHeader.class);
        for (String name : names) {
            set.add(HttpHeader.CACHE.get(name));
        }
        return set;
    }

    /** Whether a request field goes upstream; {@code named} is what {@link #connectionTokens} found. */
    static boolean forwardedUpstream(HttpField field, Set<String> named) {
        return passes(field, named, REQUEST_NOT_FORWARDED_KNOWN, REQUEST_NOT_FORWARDED);
    }

    /** Whether a response field is relayed to the client; {@code named} as above. */
    static boolean relayedToClient(HttpField field, Set<String> named) {
        return passes(field, named, RESPONSE_NOT_FORWARDED_KNOWN, RESPONSE_NOT_FORWARDED);
    }

    private static boolean passes(HttpField field, Set<String> named, EnumSet<HttpHeader> known, Set<String> names) {
        HttpHeader header = field.getHeader();
        if (header != null ? known.contains(header) : names.contains(field.getLowerCaseName())) {
            return false;
        }
        return named == null || !named.contains(field.getLowerCaseName());
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
