package io.zkgate.gateway.loop;

import java.nio.ByteBuffer;
import java.util.function.Consumer;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.util.Callback;

/**
 * Writes to one endpoint, one write at a time, telling the caller whether the write finished at once (then it
 * carries on) or later (then {@code resume} runs on the event loop when the socket drained). This is the back-pressure
 * of the event loop: a connection stops reading while what it read cannot be written. A small write may instead be
 * held to the end of the loop's turn ({@link #writeAtTurnEnd}, {@link TurnWrites}); anything written after it
 * follows it.
 * Confined to its event loop's thread.
 */
final class Writes implements Callback {
    private final EndPoint endPoint;
    private final Runnable resume;
    private final Consumer<Throwable> failure;
    private final TurnWrites turn;
    private boolean inWrite;
    private boolean finishedInline;
    private boolean pending;
    /** Bytes held for the end of the loop's turn, written before anything written after them. */
    private ByteBuffer held;
    /** The pending write is a held one, which no caller waits for. */
    private boolean flushing;
    /** A write that came while a held one was pending; its caller waits for {@code resume}. */
    private ByteBuffer[] queued;
    private boolean heldWriteFailed;

    Writes(EndPoint endPoint, Runnable resume, Consumer<Throwable> failure) {
        this(endPoint, resume, failure, null);
    }

    Writes(EndPoint endPoint, Runnable resume, Consumer<Throwable> failure, TurnWrites turn) {
        this.endPoint = endPoint;
        this.resume = resume;
        this.failure = failure;
        this.turn = turn;
    }

    /**
     * Writes {@code buffer} at the end of the loop's turn when it is small and nothing is pending, else now.
     * @return true when the caller may go on as if it were written (it was copied or written)
     */
    boolean writeAtTurnEnd(ByteBuffer buffer) {
        if (turn != null && held == null && !pending) {
            ByteBuffer copy = turn.hold(this, buffer);
            if (copy != null) {
                held = copy;
                heldWriteFailed = false;
                return true;
            }
        }
        return write(buffer);
    }

    /**
     * Called by the loop at the end of its turn. Nothing can be pending here: bytes are held only when nothing is,
     * and a write made after them takes them along.
     * @return false when the write is still pending (the socket took part of it)
     */
    boolean flushHeld() {
        ByteBuffer h = held;
        if (h == null) {
            return true; // already written ahead of a later write
        }
        held = null;
        if (!endPoint.isOpen()) {
            return true; // closed since: the exchange has heard of it
        }
        flushing = true;
        boolean done = writeNow(h);
        if (done) {
            flushing = false;
        }
        return done;
    }

    /** Whether the last failure was of held bytes, so the backend cannot have taken them. */
    boolean heldWriteFailed() {
        return heldWriteFailed;
    }

    /** @return true when everything was written at once; false when it completes later (or failed) */
    boolean write(ByteBuffer... buffers) {
        if (pending && flushing) { // held bytes the socket could not take at once: this write waits for them
            queued = buffers;
            return false;
        }
        if (held != null) {
            ByteBuffer[] all = new ByteBuffer[buffers.length + 1];
            all[0] = held;
            System.arraycopy(buffers, 0, all, 1, buffers.length);
            held = null;
            buffers = all;
        }
        return writeNow(buffers);
    }

    private boolean writeNow(ByteBuffer... buffers) {
        inWrite = true;
        finishedInline = false;
        pending = true;
        endPoint.write(this, buffers);
        inWrite = false;
        return finishedInline;
    }

    boolean pending() {
        return pending;
    }

    @Override
    public void succeeded() {
        pending = false;
        if (inWrite) {
            finishedInline = true;
        } else if (flushing) {
            flushing = false;
            ByteBuffer[] next = queued;
            queued = null;
            if (next != null && writeNow(next)) {
                resume.run();
            }
        } else {
            resume.run();
        }
    }

    @Override
    public void failed(Throwable x) {
        pending = false;
        heldWriteFailed = flushing;
        flushing = false;
        queued = null;
        failure.accept(x);
    }

    @Override
    public InvocationType getInvocationType() {
        return InvocationType.NON_BLOCKING;
    }
}
