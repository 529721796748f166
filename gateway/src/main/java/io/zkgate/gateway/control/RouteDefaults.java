package io.zkgate.gateway.control;

/**
 * What a route gets for the upstream settings it leaves out. Immutable.
 *
 * @param responseTimeoutMs  time the backend may stay silent
 * @param retryAttempts      retries on another backend
 * @param retryBudgetPercent retries allowed as a share of the route's requests over ten seconds
 * @param retryBudgetMinimum retries allowed besides that share
 */
public record RouteDefaults(long responseTimeoutMs, int retryAttempts, int retryBudgetPercent, int retryBudgetMinimum) {}
