package io.zkgate.gateway;

import static io.zkgate.gateway.support.Http.sample;
import static io.zkgate.gateway.support.ZkWriter.route;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zkgate.gateway.support.GatewayFixture;
import io.zkgate.gateway.support.Http;
import io.zkgate.gateway.support.TestBackend;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Request durations as Prometheus histograms, which add up across gateways, beside the old summaries. */
class LatencyHistogramTest {
    private static final Pattern BUCKET = Pattern.compile(
            "^zkgate_request_latency_seconds_bucket\\{route=\"q\",le=\"([^\"]+)\",?} (\\S+)$", Pattern.MULTILINE);

    @Test
    void theRequestDurationIsAHistogramWithProxyBucketsBesideTheOldSummary() throws Exception {
        try (GatewayFixture f = new GatewayFixture()) {
            serve(f, f.closeLater(TestBackend.start("h")));
            String before = Http.metrics(f.adminPort());
            for (int i = 0; i < 5; i++) {
                assertEquals(200, Http.get(f.port(), "/q/x").statusCode());
            }

            // A request is recorded once its answer is on its way: the last one may land a moment after the client
            // has it, and the summary and histogram are two updates. Wait for both, then read one scrape.
            String count = "zkgate_request_latency_seconds_count{route=\"q\"}";
            String summaryCount = "zkgate_request_duration_seconds_count{route=\"q\"}";
            await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> {
                String scrape = Http.metrics(f.adminPort());
                return sample(scrape, count) - sample(before, count) == 5.0
                        && sample(scrape, summaryCount).equals(sample(scrape, count));
            });
            String m = Http.metrics(f.adminPort());

            assertTrue(m.contains("# TYPE zkgate_request_latency_seconds histogram"), m);
            assertTrue(m.contains("# TYPE zkgate_upstream_latency_seconds histogram"), m);
            Map<Double, Double> buckets = buckets(m);
            assertEquals(List.of(0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                    5.0, 10.0, 30.0, 60.0, Double.POSITIVE_INFINITY), List.copyOf(buckets.keySet()));
            assertEquals(5.0, sample(m, count) - sample(before, count));
            assertEquals(sample(m, count), buckets.get(Double.POSITIVE_INFINITY));
            assertEquals(sample(m, count), sample(m, summaryCount), "the old summary is kept beside it");
            assertNotNull(sample(m, "zkgate_request_duration_seconds{route=\"q\",quantile=\"0.99\"}"));
        }
    }

    @Test
    void everyMetricFamilyHasAHelpTextOfItsOwn() throws Exception {
        try (GatewayFixture f = new GatewayFixture()) {
            serve(f, f.closeLater(TestBackend.start("h")));
            String count = "zkgate_request_latency_seconds_count{route=\"q\"}";
            await().atMost(Duration.ofSeconds(10)).until(() -> sample(Http.metrics(f.adminPort()), count) != null);
            String m = Http.metrics(f.adminPort());
            assertTrue(m.contains("# HELP zkgate_request_latency_seconds "), m);
            for (String line : m.split("\n")) {
                if (line.startsWith("# HELP zkgate_")) {
                    assertFalse(line.contains("Generated from Dropwizard") || line.contains("$$Lambda"), line);
                }
            }
        }
    }

    @Test
    void the99thPercentileOfTwoGatewaysIsComputableBySummingTheirBucketsAsPromQlDoes() throws Exception {
        try (GatewayFixture fast = new GatewayFixture(); GatewayFixture slow = new GatewayFixture()) {
            serve(fast, fast.closeLater(TestBackend.start("fast")));
            serve(slow, slow.closeLater(TestBackend.slow("slow", 300)));
            Map<Double, Double> fastBefore = buckets(fast);
            Map<Double, Double> slowBefore = buckets(slow);
            for (int i = 0; i < 90; i++) {
                assertEquals(200, Http.get(fast.port(), "/q/x").statusCode());
            }
            for (int i = 0; i < 10; i++) {
                assertEquals(200, Http.get(slow.port(), "/q/x").statusCode());
            }

            // the last requests' records may trail their answers
            await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() ->
                    buckets(fast).get(Double.POSITIVE_INFINITY) - fastBefore.getOrDefault(Double.POSITIVE_INFINITY, 0.0)
                            == 90.0
                    && buckets(slow).get(Double.POSITIVE_INFINITY)
                            - slowBefore.getOrDefault(Double.POSITIVE_INFINITY, 0.0) == 10.0);
            // sum by (le) (increase(zkgate_request_latency_seconds_bucket[...])) over the two gateways
            Map<Double, Double> sum = new TreeMap<>();
            buckets(fast).forEach((le, n) -> sum.merge(le, n - fastBefore.getOrDefault(le, 0.0), Double::sum));
            buckets(slow).forEach((le, n) -> sum.merge(le, n - slowBefore.getOrDefault(le, 0.0), Double::sum));

            assertEquals(100.0, sum.get(Double.POSITIVE_INFINITY));
            double p99 = histogramQuantile(0.99, sum);
            double p50 = histogramQuantile(0.5, sum);
            assertTrue(p99 >= 0.25, "the slowest tenth took at least 300 ms: p99 " + p99 + " from " + sum);
            assertTrue(p50 < p99, "p50 " + p50 + " below p99 " + p99 + " from " + sum);
        }
    }

    private static void serve(GatewayFixture f, TestBackend backend) throws Exception {
        f.writer.register("q", "1", backend.port(), 1);
        f.writer.putRoute("q", route("q", "/q", "q"));
        await().atMost(Duration.ofSeconds(10)).until(() -> Http.get(f.port(), "/q/x").statusCode() == 200);
        // The record of the last of these requests may land just after its answer; a test that reads its baseline
        // now could miss it and count one request too many. Wait until two scrapes a poll apart agree.
        String count = "zkgate_request_latency_seconds_count{route=\"q\"}";
        String summaryCount = "zkgate_request_duration_seconds_count{route=\"q\"}";
        AtomicReference<Double> previous = new AtomicReference<>();
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).until(() -> {
            String scrape = Http.metrics(f.adminPort());
            Double now = sample(scrape, count);
            boolean settled = now != null && now.equals(previous.get()) && now.equals(sample(scrape, summaryCount));
            previous.set(now);
            return settled;
        });
    }

    private static Map<Double, Double> buckets(GatewayFixture f) {
        return buckets(Http.metrics(f.adminPort()));
    }

    /** Cumulative bucket counts of route q, by upper bound. */
    private static Map<Double, Double> buckets(String metrics) {
        Map<Double, Double> out = new TreeMap<>();
        Matcher m = BUCKET.matcher(metrics);
        while (m.find()) {
            double le = m.group(1).equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(m.group(1));
            out.put(le, Double.parseDouble(m.group(2)));
        }
        return out;
    }

    /** Prometheus's histogram_quantile: linear interpolation inside the bucket holding the rank. */
    static double histogramQuantile(double q, Map<Double, Double> cumulative) {
        double total = cumulative.get(Double.POSITIVE_INFINITY);
        double rank = q * total;
        double lowerBound = 0;
        double lowerCount = 0;
        for (Map.Entry<Double, Double> b : cumulative.entrySet()) {
            if (b.getValue() >= rank) {
                if (b.getKey().isInfinite()) {
                    return lowerBound;
                }
                double inBucket = b.getValue() - lowerCount;
                return lowerBound + (b.getKey() - lowerBound) * (rank - lowerCount) / inBucket;
            }
            lowerBound = b.getKey();
            lowerCount = b.getValue();
        }
        return lowerBound;
    }
}
