package io.zkgate.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.schema.CanonicalPath.BadPathException;
import io.zkgate.schema.CanonicalPath.Problem;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The spelling table of the README's Routes section: each raw path, its canonical form or why it is refused. */
class CanonicalPathTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
            /                         | /
            /admin                    | /admin
            /admin/                   | /admin/
            /api/v1.0/x~y_z-w         | /api/v1.0/x~y_z-w
            /.well-known/acme         | /.well-known/acme
            /a/b:c@d!$&'()*+,=        | /a/b:c@d!$&'()*+,=
            /%61dmin                  | /admin
            /%41%44%4D%49%4E          | /ADMIN
            /adm%69n/users            | /admin/users
            /%7e/%2d%2E%5f            | /~/-._
            /caf%c3%a9                | /caf%C3%A9
            /a%20b                    | /a%20b
            /a%3Bb                    | /a%3Bb
            /a%3fb%23c                | /a%3Fb%23c
            /./admin                  | /admin
            /x/../admin               | /admin
            /x/y/../../admin/         | /admin/
            /admin/.                  | /admin/
            /admin/x/..               | /admin/
            /..a/b..                  | /..a/b..
            /%2e/admin                | /admin
            /%2E%2E/                  | BAD:ABOVE_ROOT
            /x/%2E%2E/                | /
            /x/%2e%2e/admin           | /admin
            /x/.%2e/admin             | /admin
            //admin                   | /admin
            /admin//users///x         | /admin/users/x
            ///                       | /
            /a/b/                     | /a/b/
            /..                       | BAD:ABOVE_ROOT
            /../admin                 | BAD:ABOVE_ROOT
            /x/../../admin            | BAD:ABOVE_ROOT
            /%2e%2e/admin             | BAD:ABOVE_ROOT
            /admin%2Fusers            | BAD:ENCODED_SLASH
            /admin%2fusers            | BAD:ENCODED_SLASH
            /%252e%252e/admin         | BAD:ENCODED_PERCENT
            /%2561dmin                | BAD:ENCODED_PERCENT
            /admin%00                 | BAD:ENCODED_CONTROL
            /admin%0d%0aX: y          | BAD:ENCODED_CONTROL
            /admin%7F                 | BAD:ENCODED_CONTROL
            /admin%5cx                | BAD:ENCODED_BACKSLASH
            /admin\\x                 | BAD:BACKSLASH
            /admin;x/users            | BAD:PARAMETER
            /admin;jsessionid=1       | BAD:PARAMETER
            /..;/admin                | BAD:PARAMETER
            /admin%                   | BAD:BAD_ENCODING
            /admin%4                  | BAD:BAD_ENCODING
            /admin%zz                 | BAD:BAD_ENCODING
            admin                     | BAD:NOT_ABSOLUTE
            """)
    void eachSpellingHasOneCanonicalFormOrIsRefused(String raw, String expected) {
        if (expected.startsWith("BAD:")) {
            BadPathException e = assertThrows(BadPathException.class, () -> CanonicalPath.of(raw), raw);
            assertEquals(Problem.valueOf(expected.substring(4)), e.problem(), raw);
        } else {
            assertEquals(expected, assertDoesNotThrow(raw), raw);
        }
    }

    @Test
    void rawCharactersThatMayNotAppearInAPathArePercentEncodedAsUtf8() throws Exception {
        assertEquals("/caf%C3%A9/a%20b%7Bc%7D", CanonicalPath.of("/café/a b{c}"));
        assertEquals("/%F0%9F%98%80", CanonicalPath.of("/\uD83D\uDE00"));
        assertEquals("/%EF%BF%BD", CanonicalPath.of("/\uD83D"), "a lone surrogate is the replacement character");
        assertThrows(BadPathException.class, () -> CanonicalPath.of("/a\tb"));
    }

    @Test
    void aCanonicalPathIsReturnedAsTheSameInstance() throws Exception {
        String path = "/api/orders/42";
        assertSame(path, CanonicalPath.of(path));
        assertTrue(CanonicalPath.isCanonical(path));
        assertFalse(CanonicalPath.isCanonical("/api/%61"));
        assertFalse(CanonicalPath.isCanonical("/api/./x"));
        assertFalse(CanonicalPath.isCanonical("/api//x"));
        assertTrue(CanonicalPath.isCanonical("/caf%C3%A9/a%20b"));
        assertFalse(CanonicalPath.isCanonical("/caf%c3%a9"));
    }

    @Test
    void canonicalizingIsIdempotentAndTheResultNeverHoldsADotSegmentOrEmptySegment() throws Exception {
        Random random = new Random(42);
        String[] pieces = {"/", "/", "a", "b", ".", "..", "%2e", "%2E", "%61", "%2F", "%25", ";", "%3B", "//", "é", "%c3",
            "~", "%7E", "%20", "x"};
        int canonical = 0;
        for (int n = 0; n < 20_000; n++) {
            StringBuilder sb = new StringBuilder("/");
            int len = 1 + random.nextInt(8);
            for (int k = 0; k < len; k++) {
                sb.append(pieces[random.nextInt(pieces.length)]);
            }
            String raw = sb.toString();
            String once;
            try {
                once = CanonicalPath.of(raw);
            } catch (BadPathException e) {
                continue;
            }
            canonical++;
            assertEquals(once, CanonicalPath.of(once), raw);
            assertTrue(CanonicalPath.isCanonical(once), raw + " -> " + once);
            assertFalse(once.contains("//"), raw + " -> " + once);
            for (String segment : once.split("/")) {
                assertFalse(segment.equals(".") || segment.equals(".."), raw + " -> " + once);
            }
        }
        assertTrue(canonical > 5_000, "the generator exercises the canonical side too: " + canonical);
    }

    private static String assertDoesNotThrow(String raw) {
        try {
            return CanonicalPath.of(raw);
        } catch (BadPathException e) {
            throw new AssertionError(raw + " refused: " + e.getMessage(), e);
        }
    }
}
