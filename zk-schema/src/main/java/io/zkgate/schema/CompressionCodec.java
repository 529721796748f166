package io.zkgate.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/** The route's {@code compression} block, read and written for {@link RouteCodec}. Stateless. */
final class CompressionCodec {
    private static final Set<String> COMPRESSION_FIELDS = Set.of("enabled", "minBytes", "contentTypes");
    private static final Pattern MEDIA_TYPE = Pattern.compile("[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*");
    static final int MAX_COMPRESSION_MIN_BYTES = 64 * 1024 * 1024;

    private CompressionCodec() {}

    static Route.Compression read(FieldReader r, JsonNode tree) {
        JsonNode node = r.block(tree, "compression", COMPRESSION_FIELDS);
        if (node == null) {
            return null;
        }
        Boolean enabled = r.bool(node, "compression.enabled", "enabled");
        Integer minBytes = r.integer(node, "compression.minBytes", "minBytes", 0, MAX_COMPRESSION_MIN_BYTES);
        return new Route.Compression(enabled, minBytes, contentTypes(r, node));
    }

    /** The media types as lower case, each without parameters or wildcards; wrong ones are problems and left out. */
    private static List<String> contentTypes(FieldReader r, JsonNode node) {
        List<String> types = new ArrayList<>();
        JsonNode typesNode = node.get("contentTypes");
        if (typesNode == null || typesNode.isNull()) {
            return types;
        }
        if (!typesNode.isArray()) {
            r.problem("compression.contentTypes", FieldReader.aKind(typesNode)
                    + " (expected: an array of media types)");
            return types;
        }
        for (int i = 0; i < typesNode.size(); i++) {
            JsonNode t = typesNode.get(i);
            String type = t.isTextual() ? t.asText().toLowerCase(Locale.ROOT) : null;
            if (type == null || !MEDIA_TYPE.matcher(type).matches()) {
                r.problem("compression.contentTypes[" + i + "]", t
                        + " (expected: a media type without parameters or wildcards, such as application/json)");
            } else {
                types.add(type);
            }
        }
        return types;
    }

    static void write(ObjectNode root, Route.Compression compression) {
        if (compression == null) {
            return;
        }
        ObjectNode c = root.putObject("compression");
        FieldWriter.putIfSet(c, "enabled", compression.enabled());
        FieldWriter.putIfSet(c, "minBytes", compression.minBytes());
        if (!compression.contentTypes().isEmpty()) {
            FieldWriter.putStrings(c, "contentTypes", compression.contentTypes());
        }
    }
}
