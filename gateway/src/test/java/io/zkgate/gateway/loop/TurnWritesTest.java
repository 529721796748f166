package io.zkgate.gateway.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.jetty.io.ByteArrayEndPoint;
import org.eclipse.jetty.io.ManagedSelector;
import org.eclipse.jetty.util.BufferUtil;
import org.junit.jupiter.api.Test;

/**
 * Heads held to the end of the loop's turn, on Jetty's in-memory endpoint: the loop's pass over its updates is run by
 * hand, so each test says exactly what is on the wire before and after the turn ends.
 */
class TurnWritesTest {
    private final List<ManagedSelector.SelectorUpdate> submitted = new ArrayList<>();
    private final TurnWrites turn = new TurnWrites(submitted::add);
    private final AtomicInteger resumed = new AtomicInteger();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();

    private Writes writes(ByteArrayEndPoint endPoint) {
        return new Writes(endPoint, resumed::incrementAndGet, failure::set, turn);
    }

    private void endTurn() {
        List<ManagedSelector.SelectorUpdate> updates = new ArrayList<>(submitted);
        submitted.clear();
        updates.forEach(update -> update.update(null));
    }

    private static ByteBuffer bytes(String s) {
        return BufferUtil.toBuffer(s, StandardCharsets.US_ASCII);
    }

    @Test
    void headsOfOneTurnGoOutTogetherWhenTheTurnEndsAndTheCallersBuffersAreFreeAtOnce() {
        ByteArrayEndPoint first = new ByteArrayEndPoint();
        ByteArrayEndPoint second = new ByteArrayEndPoint();
        Writes a = writes(first);
        Writes b = writes(second);
        ByteBuffer reused = bytes("GET /a HTTP/1.1\r\n\r\n");

        assertTrue(a.writeAtTurnEnd(reused), "the caller goes on as if it were written");
        BufferUtil.clearToFill(reused); // the caller's head array is reused for the next request at once
        reused.put("GET /b HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        BufferUtil.flipToFlush(reused, 0);
        assertTrue(b.writeAtTurnEnd(reused));

        assertEquals("", first.getOutputString(), "nothing written before the turn ends");
        assertEquals("", second.getOutputString());
        assertEquals(1, submitted.size(), "one pass per turn, however many heads");
        endTurn();
        assertEquals("GET /a HTTP/1.1\r\n\r\n", first.getOutputString());
        assertEquals("GET /b HTTP/1.1\r\n\r\n", second.getOutputString());
        assertEquals(0, resumed.get(), "no caller waits for a held head");
    }

    @Test
    void aWriteAfterAHeldHeadTakesItAlongInOrder() {
        ByteArrayEndPoint endPoint = new ByteArrayEndPoint();
        Writes w = writes(endPoint);
        assertTrue(w.writeAtTurnEnd(bytes("POST /x HTTP/1.1\r\n\r\n")));
        assertTrue(w.write(bytes("body")));
        assertEquals("POST /x HTTP/1.1\r\n\r\nbody", endPoint.getOutputString());
        endTurn();
        assertEquals("POST /x HTTP/1.1\r\n\r\nbody", endPoint.getOutputString(), "the held head went once");
    }

    @Test
    void aLargeHeadIsWrittenAtOnce() {
        ByteArrayEndPoint endPoint = new ByteArrayEndPoint();
        Writes w = writes(endPoint);
        String large = "GET /" + "a".repeat(TurnWrites.MAX_HELD) + " HTTP/1.1\r\n\r\n";
        assertTrue(w.writeAtTurnEnd(bytes(large)));
        assertEquals(large, endPoint.getOutputString());
        assertTrue(submitted.isEmpty());
    }

    @Test
    void aHeldHeadTheSocketCannotTakeAtOnceHoldsBackTheNextWriteUntilItDrains() {
        ByteArrayEndPoint endPoint = new ByteArrayEndPoint(new byte[0], 8, false); // the socket takes 8 bytes at a time
        Writes w = writes(endPoint);
        assertTrue(w.writeAtTurnEnd(bytes("GET /slow HTTP/1.1\r\n\r\n")));
        endTurn();
        assertEquals("GET /slo", endPoint.takeOutputString());

        assertFalse(w.write(bytes("next")), "waits behind the held head");
        assertEquals(0, resumed.get());
        String wire = "";
        for (int i = 0; i < 10 && resumed.get() == 0; i++) {
            wire += endPoint.takeOutputString(); // the socket drains; Jetty completes the pending write
        }
        wire += endPoint.takeOutputString();
        assertEquals("w HTTP/1.1\r\n\r\nnext", wire);
        assertEquals(1, resumed.get(), "the waiting caller resumed once");
        assertNull(failure.get());
    }

    @Test
    void aHeadForAConnectionClosedBeforeTheTurnEndsIsDropped() throws IOException {
        ByteArrayEndPoint endPoint = new ByteArrayEndPoint();
        Writes w = writes(endPoint);
        assertTrue(w.writeAtTurnEnd(bytes("GET / HTTP/1.1\r\n\r\n")));
        endPoint.close();
        endTurn();
        assertNull(failure.get(), "the exchange heard of the close already; no second failure");
        assertFalse(w.heldWriteFailed());
    }

    @Test
    void aFailedHeldWriteIsReportedAsNeverSent() {
        ByteArrayEndPoint endPoint = new ByteArrayEndPoint();
        Writes w = writes(endPoint);
        assertTrue(w.writeAtTurnEnd(bytes("DELETE /x HTTP/1.1\r\n\r\n")));
        endPoint.shutdownOutput(); // the write fails: the backend cannot have taken the head
        endTurn();
        assertTrue(failure.get() instanceof IOException, "failure: " + failure.get());
        assertTrue(w.heldWriteFailed());
    }

    @Test
    void aTurnFullOfHeadsWritesTheRestAtOnce() {
        List<ByteArrayEndPoint> endPoints = new ArrayList<>();
        int written = 0;
        for (int i = 0; i < 100; i++) {
            ByteArrayEndPoint endPoint = new ByteArrayEndPoint();
            endPoints.add(endPoint);
            assertTrue(writes(endPoint).writeAtTurnEnd(bytes("GET /" + "x".repeat(1000) + " HTTP/1.1\r\n\r\n")));
            written += endPoint.getOutputString().isEmpty() ? 0 : 1;
        }
        assertTrue(written > 0 && written < 100, "some held, the rest written at once: " + written);
        endTurn();
        endPoints.forEach(e -> assertEquals(1018, e.getOutputString().length()));
    }
}
