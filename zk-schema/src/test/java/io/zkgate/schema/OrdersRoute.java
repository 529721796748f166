package io.zkgate.schema;

import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.List;

/** Reads route JSON as the znode of route 'orders' does, for tests of what the codec accepts and refuses. Stateless. */
final class OrdersRoute {
    /** The znode the JSON is read as; every problem names it. */
    static final String SRC = "/zkgate/routes/orders";

    private static final String REQUIRED_FIELDS = "\"match\":{\"pathPrefix\":\"/o\"},\"service\":\"orders\"";

    private OrdersRoute() {}

    static Route parse(String json) throws ValidationException {
        return RouteCodec.parse(SRC, json.getBytes(StandardCharsets.UTF_8), "orders");
    }

    /** The problems that refuse {@code json}, as printed; fails the test when it is accepted. */
    static List<String> problems(String json) {
        return assertThrows(ValidationException.class, () -> parse(json)).problems().stream()
                .map(Problem::toString).toList();
    }

    /** A route of the required fields and {@code fields}, which are written as in a JSON object, without braces. */
    static Route parseFields(String fields) throws ValidationException {
        return parse(withRequired(fields));
    }

    static List<String> problemsOfFields(String fields) {
        return problems(withRequired(fields));
    }

    private static String withRequired(String fields) {
        return "{" + REQUIRED_FIELDS + "," + fields + "}";
    }
}
