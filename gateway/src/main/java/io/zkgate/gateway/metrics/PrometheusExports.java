package io.zkgate.gateway.metrics;

import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Snapshot;
import com.codahale.metrics.Timer;
import io.prometheus.client.dropwizard.DropwizardExports;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * simpleclient's Dropwizard bridge with Prometheus conventions on top: labels from {@link MetricNames tagged}
 * names, families named {@code *_total} typed as counters, and the 0.9 quantile added to every timer's summary
 * (the bridge exports 0.5, 0.75, 0.95, 0.98, 0.99 and 0.999). Thread-safe as the registry is.
 */
final class PrometheusExports extends DropwizardExports {
    private static final double NANOS_PER_SECOND = TimeUnit.SECONDS.toNanos(1);
    private static final Map<String, String> HELP = Map.ofEntries(
            Map.entry("zkgate_requests", "Requests the proxy answered, by route, method and status class."),
            Map.entry("zkgate_request_duration_seconds", "Time from request to response, by route, in seconds: "
                    + "quantiles of the last 1024 requests of this gateway (deprecated: cannot be aggregated across "
                    + "gateways; use the histogram zkgate_request_latency_seconds; kept for one more release)."),
            Map.entry("zkgate_upstream_duration_seconds", "Time of the upstream exchange, by service and backend, "
                    + "in seconds: quantiles of the last 1024 exchanges (deprecated: use the histogram "
                    + "zkgate_upstream_latency_seconds; kept for one more release)."),
            Map.entry("zkgate_upstream_failures", "Upstream exchanges that failed, by service, backend and kind "
                    + "(timeout, error)."),
            Map.entry("zkgate_backend_picks", "Times the balancer picked a backend."),
            Map.entry("zkgate_backend_in_flight", "Requests sent to a backend and not yet completed."),
            Map.entry("zkgate_backend_ejected", "1 while outlier detection keeps a backend out of routing, else 0."),
            Map.entry("zkgate_backend_ejections", "Times outlier detection ejected a backend."),
            Map.entry("zkgate_retries", "Requests retried on another backend, by route."),
            Map.entry("zkgate_retries_denied", "Retries the route's retry budget refused, by route."),
            Map.entry("zkgate_rate_limited", "Requests a rate limit of the route refused with 429, by route."),
            Map.entry("zkgate_overloaded", "Requests the route's maxInFlight refused with 503, by route."),
            Map.entry("zkgate_route_in_flight", "Requests of a route with maxInFlight under way now, by route."),
            Map.entry("zkgate_zookeeper_connected", "1 while the ZooKeeper session is connected, else 0."),
            Map.entry("zkgate_zookeeper_state_changes", "ZooKeeper connection state changes, by new state."),
            Map.entry("zkgate_snapshot_version", "Version of the routing snapshot being served."),
            Map.entry("zkgate_snapshot_rebuilds", "Routing snapshots built and published."),
            Map.entry("zkgate_snapshot_rebuild_duration_seconds", "Time to build and publish a routing snapshot, in "
                    + "seconds: quantiles of the last 256 builds."),
            Map.entry("zkgate_script_duration_seconds", "Time spent in Lua filters, by script, in seconds: quantiles "
                    + "of the last 1024 calls."),
            Map.entry("zkgate_script_failures", "Lua filter runs that failed, by script and reason."),
            Map.entry("zkgate_registry_reregistrations", "Times an in-process (demo) registration was re-created."),
            Map.entry("zkgate_upstream_clients", "HTTP clients to backends: the default one plus one per distinct "
                    + "route connect timeout in use."),
            Map.entry("zkgate_websocket_tunnels_open", "WebSocket connections open now."),
            Map.entry("zkgate_websocket_tunnels", "WebSocket connections opened since start."),
            Map.entry("zkgate_tls_certificate_expiry_seconds", "Seconds until a TLS listener certificate expires "
                    + "(negative once expired), by certificate and source file."));

    private final MetricRegistry registry;

    PrometheusExports(MetricRegistry registry) {
        super(registry, new TaggedSampleBuilder());
        this.registry = registry;
    }

    @Override
    public List<MetricFamilySamples> collect() {
        Map<String, Double> p90 = new HashMap<>();
        for (Map.Entry<String, Timer> e : registry.getTimers().entrySet()) {
            Snapshot s = e.getValue().getSnapshot();
            p90.put(e.getKey(), s.getValue(0.9) / NANOS_PER_SECOND);
        }
        List<MetricFamilySamples> out = new ArrayList<>();
        for (MetricFamilySamples f : super.collect()) {
            boolean counter = f.name.endsWith("_total");
            String name = counter ? f.name.substring(0, f.name.length() - "_total".length()) : f.name;
            // Dropwizard's own help names the metric's Java class (a lambda for gauges): never show that.
            String help = HELP.getOrDefault(name, "zkgate metric " + name + ".");
            if (counter) {
                out.add(new MetricFamilySamples(name, Type.COUNTER, help, f.samples));
            } else if (f.type == Type.SUMMARY) {
                out.add(withP90(new MetricFamilySamples(name, f.type, help, f.samples), p90));
            } else {
                out.add(new MetricFamilySamples(name, f.type, help, f.samples));
            }
        }
        return out;
    }

    private static MetricFamilySamples withP90(MetricFamilySamples f, Map<String, Double> p90) {
        List<MetricFamilySamples.Sample> samples = new ArrayList<>(f.samples);
        for (Map.Entry<String, Double> e : p90.entrySet()) {
            if (!MetricNames.base(e.getKey()).equals(f.name)) {
                continue;
            }
            List<String> kv = MetricNames.labels(e.getKey());
            List<String> names = new ArrayList<>();
            List<String> values = new ArrayList<>();
            for (int i = 0; i + 1 < kv.size(); i += 2) {
                names.add(kv.get(i));
                values.add(kv.get(i + 1));
            }
            names.add("quantile");
            values.add("0.9");
            samples.add(new MetricFamilySamples.Sample(f.name, names, values, e.getValue()));
        }
        return new MetricFamilySamples(f.name, f.type, f.help, samples);
    }
}
