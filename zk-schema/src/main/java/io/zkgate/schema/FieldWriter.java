package io.zkgate.schema;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Collection;

/**
 * Writes route fields for the route codecs so that a route written back is the document the operator wrote: an
 * optional field left out stays out. Stateless.
 */
final class FieldWriter {
    private FieldWriter() {}

    static void putIfSet(ObjectNode node, String name, String value) {
        if (value != null) {
            node.put(name, value);
        }
    }

    static void putIfSet(ObjectNode node, String name, Integer value) {
        if (value != null) {
            node.put(name, value);
        }
    }

    static void putIfSet(ObjectNode node, String name, Boolean value) {
        if (value != null) {
            node.put(name, value);
        }
    }

    /** {@code values} as a string array, or nothing when null. */
    static void putStrings(ObjectNode node, String name, Collection<String> values) {
        if (values != null) {
            ArrayNode a = node.putArray(name);
            values.forEach(a::add);
        }
    }
}
