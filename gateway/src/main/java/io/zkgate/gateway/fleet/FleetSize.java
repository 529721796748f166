package io.zkgate.gateway.fleet;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How many gateways are alive, as this gateway last saw under {@code /zkgate/gateways}: what fleet-scoped rate limits
 * divide by. At least 1 (this gateway). While ZooKeeper is unreachable no change arrives, so the last count stays.
 * Thread-safe: one volatile int, written by the fleet's cache listener, read per request.
 */
public final class FleetSize {
    private static final Logger log = LoggerFactory.getLogger(FleetSize.class);

    private volatile int live = 1;

    /** Live gateways, at least 1. */
    public int live() {
        return live;
    }

    /** Takes a new count of gateway znodes (0 reads as 1: this gateway's own node may be being re-created). */
    public void counted(int gateways) {
        int next = Math.max(1, gateways);
        if (next != live) {
            log.info("fleet: {} gateways live (was {}); fleet-scoped rate limits now divide by {}", next, live, next);
            live = next;
        }
    }
}
