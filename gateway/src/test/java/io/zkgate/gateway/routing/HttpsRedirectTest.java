package io.zkgate.gateway.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** Where a plain-HTTP request is sent when the gateway redirects to HTTPS. */
class HttpsRedirectTest {

    @Test
    void theLocationIsTheSameRequestOnTheTlsPortWhichIsLeftOutWhenItIs443() {
        HttpsRedirect redirect = new HttpsRedirect(true);
        TestRequest request = TestRequest.get("/a/b").withHost("api.example.com").withQuery("q=1&r");
        assertNull(redirect.beforeRouting(request, HeaderEdits.NONE), "nothing is redirected before the TLS port is bound");
        redirect.tlsPort(8443);
        assertEquals("https://api.example.com:8443/a/b?q=1&r", location(redirect, request));
        redirect.tlsPort(443);
        assertEquals("https://api.example.com/a/b?q=1&r", location(redirect, request));
        assertEquals("https://[::1]/a/b", location(redirect, TestRequest.get("/a/b").withHost("::1")));
    }

    private static String location(HttpsRedirect redirect, RequestView request) {
        Decision.Refuse refuse = redirect.beforeRouting(request, HeaderEdits.NONE);
        assertEquals(ErrorResponse.HTTPS_REDIRECT, refuse.error());
        return refuse.headers().responseValue("Location");
    }

    @Test
    void acmeChallengesRequestsWithoutAHostAndRoutesThatDoNotAskAreNotRedirected() {
        HttpsRedirect everything = new HttpsRedirect(true);
        everything.tlsPort(8443);
        assertNull(everything.beforeRouting(TestRequest.get("/.well-known/acme-challenge/token").withHost("a.test"), HeaderEdits.NONE));
        assertNull(everything.beforeRouting(TestRequest.get("/x"), HeaderEdits.NONE));
        HttpsRedirect perRoute = new HttpsRedirect(false);
        perRoute.tlsPort(8443);
        assertNull(perRoute.beforeRouting(TestRequest.get("/x").withHost("a.test"), HeaderEdits.NONE));
    }
}
