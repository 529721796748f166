package io.zkgate.schema;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Reads route files: YAML or JSON, each document one route or a list of routes, and YAML files may hold several
 * documents. Every route goes through {@link RouteCodec#fromTree}, the same validation the gateway runs on route
 * znodes; duplicates across all files are found by {@link RouteConflicts#check}. Problems name the file, the line
 * of the offending field where the parser knows it, the route and the field:
 * {@code routes/orders.yaml:7 (route 'orders'): lb.policy: unknown policy 'fastest' (...)}. Stateless and thread-safe.
 */
public final class RouteFiles {
    /** File name endings read when a directory is given. */
    public static final List<String> EXTENSIONS = List.of(".yaml", ".yml", ".json");

    private static final JsonFactory JSON_FACTORY = new JsonFactory();
    private static final YAMLFactory YAML_FACTORY = new YAMLFactory();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private RouteFiles() {}

    /**
     * A valid route and where it was read.
     *
     * @param route the route
     * @param file  the file as named to the reader
     * @param line  1-based line where the route starts, 0 if unknown
     */
    public record Entry(Route route, String file, int line) {
        public Entry {
            requireNonNull(route, "route");
            requireNonNull(file, "file");
        }

        /** {@code file:line (route 'id')}, the source used in problems about this route. */
        public String source() {
            return RouteFiles.source(file, line, "'" + route.id() + "'");
        }
    }

    /**
     * The outcome of reading: the valid routes in file order, and every problem. Routes with problems are left out
     * of {@link #routes()}; a caller that writes anything should refuse when {@link #problems()} is not empty.
     *
     * @param routes   valid routes, in the order of files and documents
     * @param problems every problem found, in the same order
     * @param files    how many files were read
     */
    public record Loaded(List<Entry> routes, List<Problem> problems, int files) {
        public Loaded {
            routes = List.copyOf(routes);
            problems = List.copyOf(problems);
        }

        public boolean ok() {
            return problems.isEmpty();
        }
    }

    /** Reads files and directories (recursively, files ending in {@link #EXTENSIONS}, hidden ones skipped). */
    public static Loaded load(List<Path> paths) {
        List<Path> files = new ArrayList<>();
        List<Problem> problems = new ArrayList<>();
        for (Path p : paths) {
            if (Files.isDirectory(p)) {
                try (Stream<Path> walk = Files.walk(p)) {
                    List<Path> found = walk.filter(Files::isRegularFile)
                            .filter(f -> !isHidden(p, f))
                            .filter(f -> hasRouteExtension(f.getFileName().toString()))
                            .sorted()
                            .collect(Collectors.toList());
                    if (found.isEmpty()) {
                        // Refused rather than read as "no routes", which an apply with --prune would act on.
                        problems.add(new Problem(p.toString(), "(document)",
                                "no route files in this directory (expected: *.yaml, *.yml or *.json)"));
                    }
                    files.addAll(found);
                } catch (IOException e) {
                    problems.add(new Problem(p.toString(), "(document)", "unreadable directory: " + e));
                }
            } else {
                files.add(p);
            }
        }
        List<Entry> routes = new ArrayList<>();
        int read = 0;
        for (Path f : files) {
            byte[] content;
            try {
                content = Files.readAllBytes(f);
            } catch (NoSuchFileException e) {
                problems.add(new Problem(f.toString(), "(document)", "no such file"));
                continue;
            } catch (IOException e) {
                problems.add(new Problem(f.toString(), "(document)", "unreadable: " + e));
                continue;
            }
            read++;
            readInto(f.toString(), content, routes, problems);
        }
        problems.addAll(conflicts(routes));
        return new Loaded(routes, problems, read);
    }

    /** Reads one file's content; JSON when the name ends in {@code .json}, YAML otherwise. */
    public static Loaded read(String file, byte[] content) {
        List<Entry> routes = new ArrayList<>();
        List<Problem> problems = new ArrayList<>();
        readInto(file, content, routes, problems);
        problems.addAll(conflicts(routes));
        return new Loaded(routes, problems, 1);
    }

    /** Duplicate ids and matches among {@code routes}, each reported against the later route. */
    public static List<Problem> conflicts(List<Entry> routes) {
        Map<Route, Entry> byRoute = new IdentityHashMap<>();
        List<Route> list = new ArrayList<>();
        for (Entry e : routes) {
            byRoute.put(e.route(), e);
            list.add(e.route());
        }
        return RouteConflicts.check(list, r -> byRoute.get(r).source());
    }

    static boolean hasRouteExtension(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        return EXTENSIONS.stream().anyMatch(lower::endsWith);
    }

    private static boolean isHidden(Path root, Path file) {
        for (Path part : root.relativize(file)) {
            if (part.toString().startsWith(".")) {
                return true;
            }
        }
        return false;
    }

    private static String source(String file, int line, String route) {
        return file + (line > 0 ? ":" + line : "") + " (route " + route + ")";
    }

    private static void readInto(String file, byte[] content, List<Entry> routes, List<Problem> problems) {
        boolean json = file.toLowerCase(Locale.ROOT).endsWith(".json");
        int before = routes.size();
        int problemsBefore = problems.size();
        List<Located> docs = new ArrayList<>();
        List<JsonNode> trees = new ArrayList<>();
        int count = 0;
        try (JsonParser p = (json ? JSON_FACTORY : YAML_FACTORY).createParser(content)) {
            while (p.nextToken() != null) {
                Located doc = new Located();
                JsonNode tree = doc.read(p, "");
                if (tree.isNull()) {
                    continue; // an empty YAML document, such as after a trailing '---'
                }
                docs.add(doc);
                trees.add(tree);
                count += tree.isArray() ? tree.size() : 1;
            }
        } catch (JsonProcessingException e) {
            JsonLocation loc = e.getLocation();
            int line = loc == null ? 0 : loc.getLineNr();
            problems.add(new Problem(file + (line > 0 ? ":" + line : ""), "(document)",
                    "invalid " + (json ? "JSON" : "YAML") + ": " + summary(e.getOriginalMessage())));
            return;
        } catch (IOException e) {
            problems.add(new Problem(file, "(document)", "unreadable: " + e));
            return;
        }
        // A file holding one route may leave out its id: the file name gives it, as the znode name does in ZooKeeper.
        String fileId = count == 1 ? idFromFileName(file) : null;
        int position = 0;
        for (int d = 0; d < trees.size(); d++) {
            JsonNode tree = trees.get(d);
            if (tree.isArray()) {
                for (int i = 0; i < tree.size(); i++) {
                    position++;
                    route(file, tree.get(i), "/" + i, docs.get(d), position, fileId, routes, problems);
                }
            } else {
                position++;
                route(file, tree, "", docs.get(d), position, fileId, routes, problems);
            }
        }
        if (routes.size() == before && problems.size() == problemsBefore) {
            problems.add(new Problem(file, "(document)",
                    "no routes (expected: a route object, a list of routes, or YAML documents each holding routes)"));
        }
    }

    /** {@code routes/orders.yaml} gives {@code orders}; null when the name is not a valid route id. */
    static String idFromFileName(String file) {
        String name = Path.of(file).getFileName().toString();
        int dot = name.lastIndexOf('.');
        String id = dot > 0 ? name.substring(0, dot) : name;
        return ZnodeLayout.isValidName(id) ? id : null;
    }

    private static void route(String file, JsonNode tree, String pointer, Located doc, int position, String fileId,
            List<Entry> routes, List<Problem> problems) {
        int line = doc.line(pointer);
        JsonNode idNode = tree.isObject() ? tree.get("id") : null;
        String label = idNode != null && idNode.isTextual() && !idNode.asText().isBlank()
                ? "'" + idNode.asText() + "'" : "#" + position;
        List<Problem> found = new ArrayList<>();
        for (String dup : doc.duplicates) {
            if (dup.startsWith(pointer + "/")) {
                String rel = dup.substring(pointer.length());
                found.add(new Problem(source(file, doc.line(dup), label), field(rel),
                        "duplicate key (expected: each key once)"));
            }
        }
        try {
            boolean hasId = tree.isObject() && tree.hasNonNull("id");
            Route route = RouteCodec.fromTree(file, tree, hasId ? null : fileId);
            if (found.isEmpty()) {
                routes.add(new Entry(route, file, line));
            }
        } catch (ValidationException e) {
            for (Problem pr : e.problems()) {
                int fieldLine = doc.line(pointer + pointer(pr.field()));
                found.add(new Problem(source(file, fieldLine, label), pr.field(), pr.reason()));
            }
        }
        problems.addAll(found);
    }

    /** {@code lb.policy} to {@code /lb/policy}, {@code match.methods[1]} to {@code /match/methods/1}. */
    private static String pointer(String field) {
        if (field.startsWith("(")) {
            return "";
        }
        return "/" + field.replace("[", ".").replace("]", "").replace('.', '/');
    }

    /** The inverse of {@link #pointer}. */
    private static String field(String pointer) {
        StringBuilder b = new StringBuilder();
        for (String seg : pointer.substring(1).split("/")) {
            if (!seg.isEmpty() && seg.chars().allMatch(Character::isDigit) && b.length() > 0) {
                b.append('[').append(seg).append(']');
            } else {
                b.append(b.length() > 0 ? "." : "").append(seg);
            }
        }
        return b.toString();
    }

    /** The parser's sentences without SnakeYAML's source excerpts: {@code while parsing ...; expected ...}. */
    private static String summary(String message) {
        if (message == null) {
            return "parse error";
        }
        List<String> parts = new ArrayList<>();
        for (String line : message.split("\n")) {
            String t = line.strip();
            if (!t.isEmpty() && !line.startsWith(" ") && !t.startsWith("in 'reader'") && !t.equals("^")) {
                parts.add(t);
            }
        }
        return parts.isEmpty() ? message.strip() : String.join("; ", parts);
    }

    /** A tree read from a parser that remembers the line of every value and every repeated key. */
    private static final class Located {
        final Map<String, Integer> lines = new HashMap<>();
        final List<String> duplicates = new ArrayList<>();

        /** The line of the value at {@code pointer}, else of its nearest enclosing value that has one. */
        int line(String pointer) {
            String p = pointer;
            while (true) {
                Integer line = lines.get(p);
                if (line != null) {
                    return line;
                }
                if (p.isEmpty()) {
                    return 0;
                }
                p = p.substring(0, p.lastIndexOf('/'));
            }
        }

        JsonNode read(JsonParser p, String pointer) throws IOException {
            lines.putIfAbsent(pointer, p.currentTokenLocation().getLineNr());
            JsonToken t = p.currentToken();
            switch (t) {
                case START_OBJECT: {
                    ObjectNode o = NODES.objectNode();
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String name = p.currentName();
                        String child = pointer + "/" + name;
                        int keyLine = p.currentTokenLocation().getLineNr();
                        boolean duplicate = o.has(name);
                        if (duplicate) {
                            lines.remove(child);
                        }
                        lines.put(child, keyLine);
                        p.nextToken();
                        o.set(name, read(p, child));
                        if (duplicate) {
                            duplicates.add(child);
                        }
                    }
                    return o;
                }
                case START_ARRAY: {
                    ArrayNode a = NODES.arrayNode();
                    while (p.nextToken() != JsonToken.END_ARRAY) {
                        a.add(read(p, pointer + "/" + a.size()));
                    }
                    return a;
                }
                case VALUE_STRING:
                    return NODES.textNode(p.getText());
                case VALUE_NUMBER_INT:
                    switch (p.getNumberType()) {
                        case INT:
                            return NODES.numberNode(p.getIntValue());
                        case LONG:
                            return NODES.numberNode(p.getLongValue());
                        default:
                            return NODES.numberNode(p.getBigIntegerValue());
                    }
                case VALUE_NUMBER_FLOAT:
                    return NODES.numberNode(p.getDoubleValue());
                case VALUE_TRUE:
                    return NODES.booleanNode(true);
                case VALUE_FALSE:
                    return NODES.booleanNode(false);
                case VALUE_NULL:
                    return NODES.nullNode();
                default:
                    Object embedded = p.getEmbeddedObject();
                    return NODES.textNode(embedded == null ? p.getText() : embedded.toString());
            }
        }
    }
}
