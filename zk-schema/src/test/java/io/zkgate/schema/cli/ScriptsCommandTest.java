package io.zkgate.schema.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ScriptsCommandTest extends ZkTestSupport {
    @BeforeEach
    void init() {
        assertEquals(0, ctl("init").code());
    }

    @Test
    void putStoresAScriptThatCompilesAndGetPrintsItBack() throws Exception {
        Path file = resource("scripts/auth.lua");

        CtlRun put = ctl("scripts", "put", "auth", file.toString());

        assertEquals(0, put.code(), put.toString());
        assertTrue(put.out().contains("created script 'auth'"), put.out());
        assertEquals(Files.readString(file), new String(observer.getData().forPath(LAYOUT.scriptPath("auth"))));
        CtlRun get = ctl("scripts", "get", "auth");
        assertEquals(0, get.code(), get.toString());
        assertEquals(Files.readString(file), get.out());
    }

    @Test
    void putRefusesAScriptThatDoesNotCompileNamingFileLineAndMessage() throws Exception {
        Path file = resource("scripts/broken.lua");

        CtlRun put = ctl("scripts", "put", "broken", file.toString());

        assertEquals(1, put.code(), put.toString());
        assertTrue(put.err().contains(file + ":5: (lua): 'end' expected (to close 'if' at line 3)"), put.err());
        assertTrue(put.err().contains("script 'broken' was not stored"), put.err());
        assertNull(observer.checkExists().forPath(LAYOUT.scriptPath("broken")));
    }

    @Test
    void putOverAnExistingScriptUpdatesItAndAnEqualOneIsLeftAlone() throws Exception {
        Path file = write(dir, "s.lua", "function on_request(req) end -- 1\n");
        assertEquals(0, ctl("scripts", "put", "s", file.toString()).code());
        write(dir, "s.lua", "function on_request(req) end -- 2\n");

        CtlRun update = ctl("scripts", "put", "s", file.toString());
        CtlRun same = ctl("scripts", "put", "s", file.toString());

        assertTrue(update.out().contains("updated script 's' (34 bytes, version 0 -> 1)"), update.toString());
        assertTrue(same.out().contains("unchanged script 's' (version 1)"), same.toString());
        assertEquals("function on_request(req) end -- 2\n",
                new String(observer.getData().forPath(LAYOUT.scriptPath("s"))));
    }

    @Test
    void listShowsScriptsAndTheRoutesUsingThem() {
        assertEquals(0, ctl("scripts", "put", "auth", resource("scripts/auth.lua").toString()).code());
        assertEquals(0, ctl("scripts", "put", "spare", write(dir, "spare.lua", "on_request = function(req) end\n")
                .toString()).code());
        write(dir, "routes/r.yaml", route("r", "/r", "r") + "script: auth\n");
        assertEquals(0, ctl("routes", "apply", dir.resolve("routes").toString()).code());

        CtlRun list = ctl("scripts", "list");

        assertEquals(0, list.code(), list.toString());
        assertTrue(list.out().matches("(?s)NAME +BYTES +VERSION +MODIFIED +USED BY +CHECK\\n"
                + "auth +\\d+ +0 +\\S+ +r +ok\\nspare +31 +0 +\\S+ +- +ok\\n"), list.out());
    }

    @Test
    void deleteIsRefusedWhileARouteUsesTheScript() throws Exception {
        assertEquals(0, ctl("scripts", "put", "auth", resource("scripts/auth.lua").toString()).code());
        write(dir, "routes/r.yaml", route("r", "/r", "r") + "script: auth\n");
        assertEquals(0, ctl("routes", "apply", dir.resolve("routes").toString()).code());

        CtlRun refused = ctl("scripts", "delete", "auth");
        assertEquals(1, refused.code(), refused.toString());
        assertTrue(refused.err().contains("script 'auth' is used by routes r"), refused.err());

        assertEquals(0, ctl("routes", "delete", "r").code());
        CtlRun deleted = ctl("scripts", "delete", "auth");
        assertEquals(0, deleted.code(), deleted.toString());
        assertNull(observer.checkExists().forPath(LAYOUT.scriptPath("auth")));
    }

    @Test
    void putRefusesAScriptThatDefinesNoOnRequestAsTheGatewayWould() throws Exception {
        Path file = resource("scripts/no-on-request.lua");

        CtlRun put = ctl("scripts", "put", "typo", file.toString());

        assertEquals(1, put.code(), put.toString());
        assertTrue(put.err().contains(file + ": (lua): the script defines no function on_request(req)"), put.err());
        assertNull(observer.checkExists().forPath(LAYOUT.scriptPath("typo")));
    }

    @Test
    void listFlagsAStoredScriptTheGatewayWouldRefuse() throws Exception {
        observer.create().forPath(LAYOUT.scriptPath("raw"), "return 1\n".getBytes(StandardCharsets.UTF_8));

        CtlRun list = ctl("scripts", "list");

        assertEquals(0, list.code(), list.toString());
        assertTrue(list.out().contains("refused: the script defines no function on_request(req)"), list.out());
    }

    @Test
    void putAndListWorkOnAnEnsembleNoOneInitialised() throws Exception {
        emptyTree();

        CtlRun put = ctl("scripts", "put", "auth", resource("scripts/auth.lua").toString());
        CtlRun list = ctl("scripts", "list");

        assertEquals(0, put.code(), put.toString());
        assertEquals(0, list.code(), list.toString());
        assertTrue(list.out().contains("auth "), list.out());
    }

    @Test
    void getOfAMissingScriptExitsOne() {
        CtlRun get = ctl("scripts", "get", "nope");

        assertEquals(1, get.code(), get.toString());
        assertTrue(get.err().contains("no script 'nope'"), get.err());
    }
}
