package io.zkgate.schema;

import static java.util.Objects.requireNonNull;

/**
 * One validation finding, printed as {@code <znode or file>: <field>: <reason>}.
 *
 * @param source the znode path or file name the value came from
 * @param field  the dotted field path inside the document, or {@code "(document)"} for the whole of it
 * @param reason what is wrong and what was expected
 */
public record Problem(String source, String field, String reason) {
    public Problem {
        requireNonNull(source, "source");
        requireNonNull(field, "field");
        requireNonNull(reason, "reason");
    }

    @Override
    public String toString() {
        return source + ": " + field + ": " + reason;
    }
}
