package io.zkgate.gateway.zk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.gateway.support.LogCapture;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.curator.framework.state.ConnectionState;
import org.junit.jupiter.api.Test;

/**
 * The operator's account of the ZooKeeper connection, driven through the state sequences Curator reports. A
 * gateway process frozen past its session timeout (a long GC pause, a stopped container) resumes to LOST with no
 * SUSPENDED before it: the line must say so, not measure from a drop that had already healed.
 */
class ZkConnectionLogTest {
    private static final Pattern AWAY = Pattern.compile("after (\\d+) ms away");

    @Test
    void aSessionLostWithoutADropSaysSoAndTheReconnectIsTimedFromTheLossNotFromAnEarlierHealedDrop()
            throws Exception {
        try (LogCapture logs = new LogCapture(ZkConnectionLog.class.getName());
                ZkConnectionLog log = new ZkConnectionLog("127.0.0.1:1", 60_000)) {
            log.stateChanged(null, ConnectionState.CONNECTED);
            log.stateChanged(null, ConnectionState.SUSPENDED);
            Thread.sleep(1_500);
            log.stateChanged(null, ConnectionState.RECONNECTED);
            log.stateChanged(null, ConnectionState.LOST);
            log.stateChanged(null, ConnectionState.RECONNECTED);

            List<String> lines = logs.messages();
            assertEquals(5, lines.size(), lines.toString());
            assertTrue(awayMs(lines.get(2)) >= 1_500, "the first drop lasted the sleep: " + lines.get(2));
            assertTrue(lines.get(3).contains("session expired without the connection being seen to drop"),
                    lines.get(3));
            assertTrue(awayMs(lines.get(4)) < 1_000, "timed from the loss, not from the healed drop: " + lines.get(4));
        }
    }

    @Test
    void aSessionLostAfterADropIsTimedFromTheDrop() throws Exception {
        try (LogCapture logs = new LogCapture(ZkConnectionLog.class.getName());
                ZkConnectionLog log = new ZkConnectionLog("127.0.0.1:1", 60_000)) {
            log.stateChanged(null, ConnectionState.CONNECTED);
            log.stateChanged(null, ConnectionState.SUSPENDED);
            log.stateChanged(null, ConnectionState.LOST);
            List<String> lines = logs.messages();
            assertTrue(lines.get(2).matches(".*session expired, \\d+ ms after the connection dropped.*"), lines.get(2));
        }
    }

    private static long awayMs(String line) {
        Matcher m = AWAY.matcher(line);
        assertTrue(m.find(), line);
        return Long.parseLong(m.group(1));
    }
}
