package io.zkgate.gateway.routing;

import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * The routes of one host (or of any host) as a trie on path segments: the node for {@code /api/orders} is the child
 * {@code orders} of the child {@code api} of the root, and holds the routes with that prefix, method-specific ones
 * first, then by id. A lookup walks the request path's segments as far as the trie goes and takes the deepest node
 * with a route for the method, so it costs the number of segments, not the number of routes, and allocates nothing:
 * children sit in an open-addressing table probed with the segment's characters in place.
 *
 * <p>Persistent: an {@link Edit} copies only the nodes on the paths it changes (each at most once), and every other
 * node is shared with the trie it started from. Nodes are immutable once the edit that made them is over; they
 * reach request threads only through the snapshot's volatile publication.
 */
final class PathTrie {
    static final RouteEntry[] NONE = new RouteEntry[0];
    private static final String[] NO_KEYS = new String[0];
    private static final Node[] NO_CHILDREN = new Node[0];
    /**
     * At one prefix: the route with more conditions first (each header, query and cookie condition and a methods
     * list count one), then the one created first, then by id.
     */
    static final Comparator<RouteEntry> AT_SAME_PREFIX =
            Comparator.comparingInt((RouteEntry e) -> -e.conditionCount())
                    .thenComparingLong(RouteEntry::createdZxid)
                    .thenComparing(RouteEntry::id);

    private PathTrie() {}

    /**
     * One node: its own segment, the routes whose prefix ends here, and the children by next segment. A child holds
     * its segment and that segment's hash itself, so a probe reads the table slot and the child, not three
     * parallel arrays: at 10,000 routes a lookup's cost is cache misses, two fewer per level this way.
     */
    static final class Node {
        final String segment;
        final int hash;
        RouteEntry[] here = NONE;
        /** Open addressing on the children's hashes, linear probing, at most half full. */
        Node[] table = NO_CHILDREN;
        int size;

        /** @param segment the path segment this node stands for; null for a root */
        Node(String segment) {
            this.segment = segment;
            this.hash = segment == null ? 0 : segment.hashCode();
        }

        private Node copy() {
            Node c = new Node(segment);
            c.here = here;
            c.table = table.clone();
            c.size = size;
            return c;
        }

        boolean isEmpty() {
            return here.length == 0 && size == 0;
        }

        /** The child for segment {@code path[from, to)}, whose {@link String#hashCode()} is {@code h}; or null. */
        Node child(int h, String path, int from, int to) {
            Node[] t = table;
            int mask = t.length - 1;
            int len = to - from;
            for (int i = spread(h) & mask; ; i = (i + 1) & mask) {
                Node c = t[i];
                if (c == null) {
                    return null;
                }
                if (c.hash == h && c.segment.length() == len && path.regionMatches(from, c.segment, 0, len)) {
                    return c;
                }
            }
        }

        /** The first route here that takes {@code method} and whose conditions hold for {@code request}, or null. */
        RouteEntry pick(String method, RequestView request) {
            for (RouteEntry e : here) {
                if (e.matchesMethod(method) && e.matchesConditions(request)) {
                    return e;
                }
            }
            return null;
        }

        /** Adds {@code child} under its segment, replacing the child there. */
        private void put(Node child) {
            if (table.length == 0 || (size + 1) * 2 > table.length) {
                rehash(Math.max(4, table.length * 2));
            }
            int mask = table.length - 1;
            for (int i = spread(child.hash) & mask; ; i = (i + 1) & mask) {
                if (table[i] == null) {
                    table[i] = child;
                    size++;
                    return;
                }
                if (table[i].segment.equals(child.segment)) {
                    table[i] = child;
                    return;
                }
            }
        }

        /**
         * Removes the child under {@code key}, then puts back the children after it in its probe run, so none is
         * left behind the gap: the cost is that run, not the table (a node can have thousands of children).
         */
        private void remove(String key) {
            if (size == 0) {
                return;
            }
            int mask = table.length - 1;
            int i = spread(key.hashCode()) & mask;
            while (table[i] != null && !table[i].segment.equals(key)) {
                i = (i + 1) & mask;
            }
            if (table[i] == null) {
                return;
            }
            table[i] = null;
            size--;
            for (int j = (i + 1) & mask; table[j] != null; j = (j + 1) & mask) {
                Node c = table[j];
                table[j] = null;
                size--;
                put(c);
            }
        }

        private void rehash(int capacity) {
            Node[] old = table;
            table = new Node[capacity];
            size = 0;
            for (Node c : old) {
                if (c != null) {
                    put(c);
                }
            }
        }

        private Node child(String key) {
            return size == 0 ? null : child(key.hashCode(), key, 0, key.length());
        }
    }

    /**
     * The deepest route for {@code method} along {@code path} below {@code node}, whose prefix ends just before
     * {@code pos} and whose conditions hold for {@code request} (null: only routes without conditions); null when
     * there is none.
     */
    static RouteEntry find(Node node, String path, int pos, String method, RequestView request) {
        if (node.size > 0 && pos < path.length() && path.charAt(pos) == '/') {
            int end = segmentEnd(path, pos);
            Node child = childAt(node, path, pos, end);
            if (child != null) {
                RouteEntry e = find(child, path, end, method, request);
                if (e != null) {
                    return e;
                }
            }
        }
        return node.pick(method, request);
    }

    /** Where the segment that starts after the '/' at {@code pos} ends. */
    private static int segmentEnd(String path, int pos) {
        int end = path.indexOf('/', pos + 1);
        return end < 0 ? path.length() : end;
    }

    /** The child of {@code node} for the segment {@code path(pos, end)}, or null. */
    private static Node childAt(Node node, String path, int pos, int end) {
        int h = 0;
        for (int i = pos + 1; i < end; i++) {
            h = 31 * h + path.charAt(i);
        }
        return node.child(h, path, pos + 1, end);
    }

    /**
     * Adds the methods of every route along {@code path} below {@code node} whose conditions hold for
     * {@code request} to {@code into} (for 405's Allow): a route whose headers do not match does not serve the path
     * for this request, whatever its methods.
     */
    static void methodsAlong(Node node, String path, int pos, RequestView request, Set<String> into) {
        for (RouteEntry e : node.here) {
            if (e.matchesConditions(request)) {
                into.addAll(e.methods());
            }
        }
        if (node.size > 0 && pos < path.length() && path.charAt(pos) == '/') {
            int end = segmentEnd(path, pos);
            Node child = childAt(node, path, pos, end);
            if (child != null) {
                methodsAlong(child, path, end, request, into);
            }
        }
    }

    /** The segments of a normalized prefix: none for the root prefix (""), {"api", "orders"} for /api/orders. */
    static String[] segments(String prefix) {
        return prefix.isEmpty() ? NO_KEYS : prefix.substring(1).split("/", -1);
    }

    private static int spread(int h) {
        return h ^ (h >>> 16);
    }

    /** One batch of changes: every node it copies is its own until it ends, so none is copied twice. */
    static final class Edit {
        private final Set<Node> owned = Collections.newSetFromMap(new IdentityHashMap<>());

        private Node own(Node n, String segment) {
            if (n != null && owned.contains(n)) {
                return n;
            }
            Node c = n == null ? new Node(segment) : n.copy();
            owned.add(c);
            return c;
        }

        /** The trie {@code root} (null: empty) with {@code e} added at its prefix. */
        Node add(Node root, RouteEntry e) {
            return add(root, null, segments(e.prefix()), 0, e);
        }

        private Node add(Node n, String segment, String[] segs, int i, RouteEntry e) {
            Node m = own(n, segment);
            if (i == segs.length) {
                RouteEntry[] here = Arrays.copyOf(m.here, m.here.length + 1);
                here[here.length - 1] = e;
                Arrays.sort(here, AT_SAME_PREFIX);
                m.here = here;
                return m;
            }
            Node child = m.child(segs[i]);
            Node next = add(child, segs[i], segs, i + 1, e);
            if (next != child) {
                m.put(next);
            }
            return m;
        }

        /** The trie {@code root} without {@code e}; null when nothing is left. */
        Node remove(Node root, RouteEntry e) {
            return root == null ? null : remove(root, segments(e.prefix()), 0, e);
        }

        private Node remove(Node n, String[] segs, int i, RouteEntry e) {
            Node m = own(n, n.segment);
            if (i == segs.length) {
                m.here = Arrays.stream(m.here).filter(x -> x != e).toArray(RouteEntry[]::new);
            } else {
                Node child = m.child(segs[i]);
                if (child != null) {
                    Node next = remove(child, segs, i + 1, e);
                    if (next == null) {
                        m.remove(segs[i]);
                    } else if (next != child) {
                        m.put(next);
                    }
                }
            }
            return m.isEmpty() ? null : m;
        }
    }
}
