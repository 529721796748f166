package io.zkgate.gateway.control;

/**
 * Passive outlier detection: when to eject a backend, for how long, and when to stop trusting health at all.
 * Immutable.
 *
 * @param consecutiveFailures connect failures, timeouts or 5xx in a row that eject a backend (0: never eject)
 * @param baseEjectionMs      the first ejection's length; each further ejection of the same backend doubles it
 * @param maxEjectionMs       the longest an ejection lasts
 * @param maxEjectionPercent  never eject more than this share of a service's backends
 * @param panicPercent        when fewer than this share of a service's backends are healthy, spread over all
 */
public record OutlierSettings(int consecutiveFailures, long baseEjectionMs, long maxEjectionMs,
        int maxEjectionPercent, int panicPercent) {
    public static OutlierSettings defaults() {
        return new OutlierSettings(5, 2_000, 60_000, 50, 50);
    }
}
