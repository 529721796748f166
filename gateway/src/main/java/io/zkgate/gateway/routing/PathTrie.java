package io.zkgate.gateway.routing;

import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.function.UnaryOperator;

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
            c.table = table.length == 0 ? table : table.clone();
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

    private static int spread(int h) {
        return h ^ (h >>> 16);
    }

    /**
     * One batch of changes: every node it copies is its own until it ends, so none is copied twice. A prefix is walked
     * in place, one {@code /segment} at a time ("" is the root, "/api/orders" two segments, "/api/" two, the second
     * empty), so an edit allocates only the nodes it copies or makes.
     */
    static final class Edit {
        private final Set<Node> owned = Collections.newSetFromMap(new IdentityHashMap<>(8));

        private Node own(Node n, String segment) {
            if (n != null && owned.contains(n)) {
                return n;
            }
            Node c = n == null ? new Node(segment) : n.copy();
            owned.add(c);
            return c;
        }

        /** The child of {@code n} for the segment of {@code prefix} after the '/' at {@code pos}, or null. */
        private static Node childFor(Node n, String prefix, int pos, int end) {
            return n.size == 0 ? null : childAt(n, prefix, pos, end);
        }

        /** The trie {@code root} (null: empty) with {@code e} added at its prefix. */
        Node add(Node root, RouteEntry e) {
            return atPrefix(root, null, e.prefix(), 0, here -> {
                RouteEntry[] more = Arrays.copyOf(here, here.length + 1);
                more[here.length] = e;
                return more;
            });
        }

        /**
         * The trie {@code root} with {@code old} replaced by {@code e}, which has the same prefix: one walk that
         * copies the nodes down to the prefix's node, where an instance event's new entry takes its route's place.
         */
        Node replace(Node root, RouteEntry old, RouteEntry e) {
            return atPrefix(root, null, e.prefix(), 0, here -> {
                RouteEntry[] next = here.clone();
                for (int i = 0; i < next.length; i++) {
                    if (next[i] == old) {
                        next[i] = e;
                    }
                }
                return next;
            });
        }

        /**
         * The node {@code n} for {@code prefix[0, pos)} (null: none yet, made for {@code segment}), owned by this
         * edit, with the routes at {@code prefix} replaced by {@code change}'s new array of them, kept in {@link
         * PathTrie#AT_SAME_PREFIX} order (a route's conditions or creation may have changed). The nodes on the way are
         * made or owned, so only they differ from the trie the edit started from.
         */
        private Node atPrefix(Node n, String segment, String prefix, int pos, UnaryOperator<RouteEntry[]> change) {
            Node m = own(n, segment);
            if (pos == prefix.length()) {
                RouteEntry[] here = change.apply(m.here);
                Arrays.sort(here, AT_SAME_PREFIX);
                m.here = here;
                return m;
            }
            int end = segmentEnd(prefix, pos);
            Node child = childFor(m, prefix, pos, end);
            Node next = atPrefix(child, child == null ? prefix.substring(pos + 1, end) : child.segment, prefix, end,
                    change);
            if (next != child) {
                m.put(next);
            }
            return m;
        }

        /** The trie {@code root} without {@code e}; null when nothing is left. */
        Node remove(Node root, RouteEntry e) {
            return root == null ? null : remove(root, e.prefix(), 0, e);
        }

        private Node remove(Node n, String prefix, int pos, RouteEntry e) {
            Node m = own(n, n.segment);
            if (pos == prefix.length()) {
                m.here = without(m.here, e);
            } else {
                int end = segmentEnd(prefix, pos);
                Node child = childFor(m, prefix, pos, end);
                if (child != null) {
                    Node next = remove(child, prefix, end, e);
                    if (next == null) {
                        m.remove(child.segment);
                    } else if (next != child) {
                        m.put(next);
                    }
                }
            }
            return m.isEmpty() ? null : m;
        }

        private static RouteEntry[] without(RouteEntry[] here, RouteEntry e) {
            int n = 0;
            for (RouteEntry x : here) {
                n += x == e ? 0 : 1;
            }
            if (n == here.length) {
                return here;
            }
            RouteEntry[] out = n == 0 ? NONE : new RouteEntry[n];
            int j = 0;
            for (RouteEntry x : here) {
                if (x != e) {
                    out[j++] = x;
                }
            }
            return out;
        }
    }
}
