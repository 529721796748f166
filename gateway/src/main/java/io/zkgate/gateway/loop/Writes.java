package io.zkgate.gateway.loop;

import java.nio.ByteBuffer;
import java.util.function.Consumer;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.util.Callback;

/**
 * Writes to one endpoint, one write at a time, telling the caller whether the write finished at once (then it
 * carries on) or later (then {@code resume} runs on the event loop when the socket drained). This is the back-pressure
 * of the event loop: a connection stops reading while what it read cannot be written.
 * Confined to its event loop's thread.
 */
final class Writes implements Callback {
    private final EndPoint endPoint;
    private final Runnable resume;
    private final Consumer<Throwable> failure;
    private boolean inWrite;
    private boolean finishedInline;
    private boolean pending;

    Writes(EndPoint endPoint, Runnable resume, Consumer<Throwable> failure) {
        this.endPoint = endPoint;
        this.resume = resume;
        this.failure = failure;
    }

    /** @return true when everything was written at once; false when it completes later (or failed) */
    boolean write(ByteBuffer... buffers) {
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
        } else {
            resume.run();
        }
    }

    @Override
    public void failed(Throwable x) {
        pending = false;
        failure.accept(x);
    }

    @Override
    public InvocationType getInvocationType() {
        return InvocationType.NON_BLOCKING;
    }
}
