package io.zkgate.gateway.control;

import io.zkgate.gateway.balancer.BackendHealth;
import io.zkgate.gateway.balancer.Endpoint;
import io.zkgate.gateway.routing.ServicePool;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Passive outlier ejection, the control side. The request path counts each backend's failure streak in its
 * {@link BackendHealth} and, every {@link OutlierSettings#consecutiveFailures()} failures in a row, asks the control
 * thread for an ejection ({@link ControlPlane#requestEjection}); there {@link #eject} decides it: never more than {@link OutlierSettings#maxEjectionPercent()} of a service's backends,
 * each ejection of the same backend twice as long as the one before, capped at
 * {@link OutlierSettings#maxEjectionMs()}; and {@link #admits} re-admits a backend whose time is over.
 * Not thread-safe: control thread only (it writes {@link BackendHealth}'s control-side fields).
 */
final class OutlierEjector {
    private static final Logger log = LoggerFactory.getLogger(OutlierEjector.class);

    private final OutlierSettings settings;

    OutlierEjector(OutlierSettings settings) {
        this.settings = settings;
    }

    OutlierSettings settings() {
        return settings;
    }

    /**
     * Decides an ejection requested for {@code endpoint} of {@code pool} (the service as currently served).
     *
     * @return how long it is ejected for, in ms, or -1 when it is not (already ejected, or the cap holds it in)
     */
    long eject(Endpoint endpoint, ServicePool pool, long nowNanos) {
        BackendHealth health = endpoint.health();
        if (health.ejected(nowNanos)) {
            return -1;
        }
        int eligible = 0;
        int ejected = 0;
        for (Endpoint e : pool.all()) {
            if (e.weight() > 0) {
                eligible++;
                if (e.health().ejected(nowNanos)) {
                    ejected++;
                }
            }
        }
        if ((ejected + 1) * 100 > eligible * settings.maxEjectionPercent()) {
            if (health.reportCapped()) {
                log.warn("backend {} keeps failing but is not ejected: {} of {} backends of {} are ejected already "
                        + "(at most {}%)", endpoint, ejected, eligible, endpoint.service(),
                        settings.maxEjectionPercent());
            }
            return -1;
        }
        long ms = Math.min(settings.maxEjectionMs(),
                settings.baseEjectionMs() << Math.min(20, Math.max(0, health.ejections())));
        int count = health.eject(nowNanos + TimeUnit.MILLISECONDS.toNanos(ms));
        log.warn("backend {} ejected for {} ms after {} consecutive failures (ejection {})", endpoint, ms,
                settings.consecutiveFailures(), count);
        return ms;
    }

    /**
     * Whether an eligible backend may take requests at {@code nowNanos} as far as ejection goes; a backend whose
     * ejection is over is re-admitted here.
     */
    boolean admits(Endpoint endpoint, long nowNanos) {
        BackendHealth health = endpoint.health();
        if (!health.inEjection()) {
            return true;
        }
        if (health.ejected(nowNanos)) {
            return false;
        }
        health.readmit();
        log.info("backend {} re-admitted after its ejection", endpoint);
        return true;
    }
}
