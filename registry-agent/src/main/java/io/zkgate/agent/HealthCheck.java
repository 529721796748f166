package io.zkgate.agent;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.time.Duration;

/**
 * Tells whether the registered service can take traffic. A check that returns false, throws, or takes longer than
 * the agent's interval counts as a failure; the exception's message is logged as the reason. Implementations must be
 * safe to call from the agent's health thread; calls never overlap.
 */
@FunctionalInterface
public interface HealthCheck {
    boolean check() throws Exception;

    /** GET {@code url}; any 2xx answer within {@code timeout} is healthy, anything else (or no answer) fails. */
    static HealthCheck http(URI url, Duration timeout) {
        return new HttpHealthCheck(requireNonNull(url, "url"), requireNonNull(timeout, "timeout"));
    }
}
