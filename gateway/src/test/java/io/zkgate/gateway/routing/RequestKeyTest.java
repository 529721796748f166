package io.zkgate.gateway.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.zkgate.schema.HashKey;
import io.zkgate.schema.Policy;
import io.zkgate.schema.Route;
import org.junit.jupiter.api.Test;

class RequestKeyTest {

    @Test
    void cookieValuesAreFoundByExactNameAtPairBoundaries() {
        assertEquals("42", RequestKey.cookieValue("uid=42", "uid"));
        assertEquals("42", RequestKey.cookieValue("a=1; uid=42; b=2", "uid"));
        assertEquals("42", RequestKey.cookieValue("a=1;uid=42", "uid"));
        assertEquals("42", RequestKey.cookieValue("a=1;  uid = 42 ;b=2", "uid"));
        assertEquals("4 2", RequestKey.cookieValue("uid=\"4 2\"", "uid"), "quotes removed");
        assertEquals("x=y", RequestKey.cookieValue("uid=x=y", "uid"), "'=' inside a value");
        assertNull(RequestKey.cookieValue("xuid=1; uidx=2; UID=3", "uid"), "no partial or case-folded names");
        assertNull(RequestKey.cookieValue("a=uid=1", "uid"), "not inside another cookie's value");
        assertNull(RequestKey.cookieValue("uid=; a=1", "uid"), "empty counts as absent");
        assertNull(RequestKey.cookieValue("uid", "uid"));
        assertNull(RequestKey.cookieValue("", "uid"));
        assertEquals("2", RequestKey.cookieValue("uid=; uid=2", "uid"), "a later non-empty duplicate");
    }

    @Test
    void queryValuesAreFoundRawByExactNameAtParameterBoundaries() {
        assertEquals("7", RequestKey.queryValue("user=7", "user"));
        assertEquals("7", RequestKey.queryValue("a=1&user=7&b=2", "user"));
        assertEquals("a%20b", RequestKey.queryValue("user=a%20b", "user"), "not decoded");
        assertNull(RequestKey.queryValue("xuser=1&userx=2", "user"));
        assertNull(RequestKey.queryValue("user&a=1", "user"));
        assertEquals("7", RequestKey.queryValue("user&user=7", "user"), "a bare name is no key; a later value is");
        assertNull(RequestKey.queryValue("user=&a=1", "user"));
        assertNull(RequestKey.queryValue(null, "user"));
        assertNull(RequestKey.queryValue("", "user"));
    }

    @Test
    void onlyAConsistentHashRouteWithAHashKeyHasAKeyToRead() {
        Route.Match match = new Route.Match(null, "/x", null);
        HashKey user = HashKey.parse("header:X-User-Id");
        assertNull(RequestKey.forRoute(new Route("r", match, "s", false, null, null, null, null)));
        assertNull(RequestKey.forRoute(new Route("r", match, "s", false,
                new Route.LoadBalancing(Policy.CONSISTENT_HASH, null, null), null, null, null)), "a script may set it");
        assertEquals("header:X-User-Id", RequestKey.forRoute(new Route("r", match, "s", false,
                new Route.LoadBalancing(Policy.CONSISTENT_HASH, user, 1.25), null, null, null)).toString());
    }

    @Test
    void aMissingHashKeyCompilesToNothing() {
        assertNull(RequestKey.of((HashKey) null));
    }

    @Test
    void keysPrintAsTheirWireForm() {
        assertEquals("header:X-User-Id", RequestKey.of(HashKey.parse("header:X-User-Id")).toString());
        assertEquals("client_ip", RequestKey.of(HashKey.parse("client_ip")).toString());
    }
}
