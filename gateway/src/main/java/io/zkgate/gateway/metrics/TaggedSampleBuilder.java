package io.zkgate.gateway.metrics;

import io.prometheus.client.Collector;
import io.prometheus.client.dropwizard.samplebuilder.SampleBuilder;
import java.util.ArrayList;
import java.util.List;

/** Maps {@link MetricNames tagged} Dropwizard names to Prometheus samples with labels. Stateless. */
final class TaggedSampleBuilder implements SampleBuilder {
    @Override
    public Collector.MetricFamilySamples.Sample createSample(String dropwizardName, String nameSuffix,
            List<String> additionalLabelNames, List<String> additionalLabelValues, double value) {
        List<String> names = new ArrayList<>();
        List<String> values = new ArrayList<>();
        List<String> kv = MetricNames.labels(dropwizardName);
        for (int i = 0; i + 1 < kv.size(); i += 2) {
            names.add(kv.get(i));
            values.add(kv.get(i + 1));
        }
        if (additionalLabelNames != null) {
            names.addAll(additionalLabelNames);
            values.addAll(additionalLabelValues);
        }
        String base = MetricNames.base(dropwizardName) + (nameSuffix == null ? "" : nameSuffix);
        return new Collector.MetricFamilySamples.Sample(Collector.sanitizeMetricName(base), names, values, value);
    }
}
