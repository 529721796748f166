package io.zkgate.gateway.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import org.conscrypt.AllocatedBuffer;
import org.junit.jupiter.api.Test;

/** The direct buffers Conscrypt borrows: one per thread, reused, never lent twice at once. */
class ConscryptBuffersTest {
    private final ConscryptBuffers buffers = ConscryptBuffers.INSTANCE;

    @Test
    void aThreadGetsTheSameDirectBufferBackEachTimeItReturnedItCleared() {
        AllocatedBuffer first = buffers.allocateDirectBuffer(100);
        ByteBuffer nio = first.nioBuffer();
        nio.put((byte) 7);
        first.release();

        AllocatedBuffer second = buffers.allocateDirectBuffer(200);
        assertSame(nio, second.nioBuffer(), "the same buffer, not a new one per borrow");
        assertTrue(second.nioBuffer().isDirect());
        assertEquals(0, second.nioBuffer().position());
        assertEquals(200, second.nioBuffer().limit(), "limited to what was asked for");
        second.release();
    }

    @Test
    void aBorrowBeforeTheLastWasReturnedGetsABufferOfItsOwnAndALargerAskGrowsTheThreadsBuffer() throws Exception {
        AllocatedBuffer held = buffers.allocateDirectBuffer(100);
        AllocatedBuffer meanwhile = buffers.allocateDirectBuffer(100);
        assertNotSame(held.nioBuffer(), meanwhile.nioBuffer());
        meanwhile.release();
        held.release();

        AllocatedBuffer large = buffers.allocateDirectBuffer(64 * 1024);
        assertTrue(large.nioBuffer().capacity() >= 64 * 1024);
        large.release();

        ByteBuffer other = CompletableFuture.supplyAsync(() -> {
            AllocatedBuffer b = buffers.allocateDirectBuffer(100);
            b.release();
            return b.nioBuffer();
        }).get();
        assertNotSame(large.nioBuffer(), other, "each thread has its own");
    }
}
