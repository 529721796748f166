package io.zkgate.agent;

import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.curator.framework.recipes.nodes.PersistentNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drains the instance: weight 0 written so that gateways send it no new requests, the drain period waited for the
 * requests in flight, then the {@link Registration} closed. Thread-safe: the first caller drains, later callers wait
 * until it is closed.
 */
final class Drain {
    private static final Logger log = LoggerFactory.getLogger(RegistryAgent.class);

    private final Registration registration;
    private final InstanceZnode znode;
    private final long periodMs;
    private final AtomicBoolean begun = new AtomicBoolean();

    Drain(Registration registration, InstanceZnode znode, long periodMs) {
        this.registration = registration;
        this.znode = znode;
        this.periodMs = periodMs;
    }

    /** See {@link RegistryAgent#drain()}. */
    void run() {
        if (!begun.compareAndSet(false, true)) {
            registration.awaitClosed();
            return;
        }
        PersistentNode registered = registration.beginDrain();
        if (registered != null && writeWeightZero(registered) && periodMs > 0) {
            registration.awaitCloseBegun(periodMs);
        }
        registration.close();
        registration.awaitClosed();
    }

    /** False when the node was never created in ZooKeeper: nothing routes to it, so there is nothing to wait for. */
    private boolean writeWeightZero(PersistentNode registered) {
        try {
            registered.setData(znode.data(0));
            log.info("{}: draining: weight 0 written, unregistering in {} ms", znode.name(), periodMs);
        } catch (IllegalStateException e) {
            return false;
        } catch (Exception e) {
            log.warn("{}: draining: writing weight 0 failed ({}); unregistering in {} ms", znode.name(), e.toString(),
                    periodMs);
        }
        return true;
    }
}
