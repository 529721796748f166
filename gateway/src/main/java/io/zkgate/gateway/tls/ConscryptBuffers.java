package io.zkgate.gateway.tls;

import java.nio.ByteBuffer;
import org.conscrypt.AllocatedBuffer;
import org.conscrypt.BufferAllocator;

/**
 * The direct buffers Conscrypt copies through when it is handed heap buffers (as Jetty's TLS connection hands it):
 * one per thread, reused, instead of Conscrypt's default of a new direct buffer per engine. Each engine's buffer
 * was 16 KB of native memory allocated per TLS connection and, since the engine is freed by a finalizer, released
 * only after two collections: under a handshake a request load that was most of the gateway's young-generation
 * garbage, full collections every two seconds and 300-400 MB of RSS. Conscrypt borrows a buffer and gives it back
 * within one call on one thread; a second borrow before that (not seen) gets a buffer of its own.
 * Thread-safe: each thread has its own buffer.
 */
final class ConscryptBuffers extends BufferAllocator {
    static final ConscryptBuffers INSTANCE = new ConscryptBuffers();
    private static final int MIN_CAPACITY = 16 * 1024 + 512; // a TLS record and its overhead

    private final ThreadLocal<Lease> leases = ThreadLocal.withInitial(Lease::new);

    private ConscryptBuffers() {}

    @Override
    public AllocatedBuffer allocateDirectBuffer(int capacity) {
        Lease lease = leases.get();
        if (lease.out) {
            return AllocatedBuffer.wrap(ByteBuffer.allocateDirect(capacity));
        }
        lease.out = true;
        if (lease.buffer == null || lease.buffer.capacity() < capacity) {
            lease.buffer = ByteBuffer.allocateDirect(Math.max(capacity, MIN_CAPACITY));
        }
        lease.buffer.clear().limit(capacity);
        return lease;
    }

    /** A thread's buffer, lent to one caller at a time. */
    private static final class Lease extends AllocatedBuffer {
        ByteBuffer buffer;
        boolean out;

        @Override
        public ByteBuffer nioBuffer() {
            return buffer;
        }

        @Override
        public AllocatedBuffer release() {
            out = false;
            return this;
        }
    }
}
