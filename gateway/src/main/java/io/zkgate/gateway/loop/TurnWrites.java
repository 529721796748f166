package io.zkgate.gateway.loop;

import java.nio.ByteBuffer;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.function.Consumer;
import org.eclipse.jetty.io.ManagedSelector;

/**
 * Request heads held until the end of the event loop's turn and then written one after another, just before the
 * loop selects again. A turn reads several clients' requests; written as each is parsed, a backend woken by the first
 * finds one request per wake-up, while written together the backend reads them in one. Heads are copied into one
 * batch buffer, so the caller's buffers are free at once; the batch is direct, so the socket writes it in place.
 * Confined to its event loop's thread.
 */
final class TurnWrites implements ManagedSelector.SelectorUpdate {
    /** A head larger than this is written at once. */
    static final int MAX_HELD = 2048;
    private static final int BATCH_BYTES = 32 * 1024;

    private final Consumer<ManagedSelector.SelectorUpdate> submit;
    private final ArrayList<Writes> held = new ArrayList<>();
    private ByteBuffer batch = ByteBuffer.allocateDirect(BATCH_BYTES);
    private boolean scheduled;

    /** @param submit runs an update at the loop's next pass over its updates, before it selects again */
    TurnWrites(Consumer<ManagedSelector.SelectorUpdate> submit) {
        this.submit = submit;
    }

    /** @return a copy of {@code buffer} in this turn's batch, or null when it does not fit */
    ByteBuffer hold(Writes writes, ByteBuffer buffer) {
        int n = buffer.remaining();
        if (n > MAX_HELD || n > batch.remaining()) {
            return null;
        }
        ByteBuffer copy = batch.slice(batch.position(), n);
        batch.put(buffer);
        held.add(writes);
        if (!scheduled) {
            scheduled = true;
            submit.accept(this);
        }
        return copy;
    }

    @Override
    public void update(Selector selector) {
        scheduled = false;
        boolean batchInUse = false;
        for (int i = 0; i < held.size(); i++) {
            if (!held.get(i).flushHeld()) {
                batchInUse = true; // a socket that took part of its head keeps a slice of the batch until it drains
            }
        }
        held.clear();
        if (batchInUse) {
            batch = ByteBuffer.allocateDirect(BATCH_BYTES);
        } else {
            batch.clear();
        }
    }
}
