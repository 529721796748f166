package io.zkgate.gateway.routing;

/**
 * How a route talks to its backends: timeouts and retries, with the gateway's defaults filled in. Immutable; the
 * budget is shared by every snapshot's entry of the same route.
 *
 * @param connectTimeoutMs  upstream connect timeout, or -1 for the gateway's client default
 * @param responseTimeoutMs time the backend may stay silent: before the response starts and between its bytes
 * @param retryAttempts     retries on another backend after the first attempt
 * @param budget            the route's retry budget
 */
public record UpstreamPolicy(long connectTimeoutMs, long responseTimeoutMs, int retryAttempts, RetryBudget budget) {}
