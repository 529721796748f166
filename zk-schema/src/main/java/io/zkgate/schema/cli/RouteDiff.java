package io.zkgate.schema.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.zkgate.schema.cli.RoutePlan.FieldChange;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The field-by-field difference between two route trees that {@code routes apply} prints. Stateless. */
final class RouteDiff {
    private RouteDiff() {}

    /**
     * What differs from {@code before} (null: nothing) to {@code after}, by dotted field path, in {@code after}'s
     * field order and then the removed fields; arrays compare as whole values, the id is not a field that changes.
     */
    static List<FieldChange> fields(JsonNode before, JsonNode after) {
        Map<String, JsonNode> b = new LinkedHashMap<>();
        Map<String, JsonNode> a = new LinkedHashMap<>();
        if (before != null) {
            flatten(before, "", b);
        }
        flatten(after, "", a);
        List<FieldChange> changes = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : a.entrySet()) {
            if (e.getKey().equals("id")) {
                continue;
            }
            JsonNode old = b.get(e.getKey());
            if (old == null || !old.equals(e.getValue())) {
                changes.add(new FieldChange(e.getKey(), old, e.getValue()));
            }
        }
        for (Map.Entry<String, JsonNode> e : b.entrySet()) {
            if (!a.containsKey(e.getKey()) && !e.getKey().equals("id")) {
                changes.add(new FieldChange(e.getKey(), e.getValue(), null));
            }
        }
        return changes;
    }

    private static void flatten(JsonNode node, String prefix, Map<String, JsonNode> out) {
        if (node.isObject() && (node.size() > 0 || prefix.isEmpty())) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                flatten(e.getValue(), prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(), out);
            }
        } else {
            out.put(prefix, node);
        }
    }
}
