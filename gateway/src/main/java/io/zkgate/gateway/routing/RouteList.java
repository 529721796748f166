package io.zkgate.gateway.routing;

import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.RandomAccess;

/**
 * Route entries sorted by id, as a persistent list of chunks of up to {@value #MAX_CHUNK}: replacing, adding or
 * removing one entry copies that entry's chunk and the small chunk index, and shares every other chunk with the
 * list it came from. The first id of each chunk is kept in an array of its own, so that finding an entry's chunk reads
 * that array and the ids' strings rather than a chain of chunk, entry and route for each step of the search; replacing
 * entries (their ids stay) shares that array and the chunk ends with the list it came from. Immutable.
 */
final class RouteList extends AbstractList<RouteEntry> implements RandomAccess {
    private static final int CHUNK = 64;
    private static final int MAX_CHUNK = 2 * CHUNK;
    private static final RouteEntry[][] NO_CHUNKS = new RouteEntry[0][];
    static final RouteList EMPTY = new RouteList(NO_CHUNKS);

    private final RouteEntry[][] chunks;
    /** {@code ends[i]}: entries in chunks 0..i. */
    private final int[] ends;
    /** {@code firsts[i]}: the id of chunk i's first entry. */
    private final String[] firsts;

    private RouteList(RouteEntry[][] chunks) {
        this.chunks = chunks;
        this.ends = new int[chunks.length];
        this.firsts = new String[chunks.length];
        int n = 0;
        for (int i = 0; i < chunks.length; i++) {
            n += chunks[i].length;
            ends[i] = n;
            firsts[i] = chunks[i][0].id();
        }
    }

    /** A list of {@code chunks} whose lengths and first ids are those of {@code same}'s. */
    private RouteList(RouteEntry[][] chunks, RouteList same) {
        this.chunks = chunks;
        this.ends = same.ends;
        this.firsts = same.firsts;
    }

    /** The entries sorted by id; ids must be distinct. */
    static RouteList of(Collection<RouteEntry> entries) {
        RouteEntry[] all = entries.toArray(PathTrie.NONE);
        Arrays.sort(all, Comparator.comparing(RouteEntry::id));
        List<RouteEntry[]> chunks = new ArrayList<>();
        for (int from = 0; from < all.length; from += CHUNK) {
            chunks.add(Arrays.copyOfRange(all, from, Math.min(all.length, from + CHUNK)));
        }
        return new RouteList(chunks.toArray(NO_CHUNKS));
    }

    @Override
    public RouteEntry get(int index) {
        if (index < 0 || index >= size()) {
            throw new IndexOutOfBoundsException(index);
        }
        int c = Arrays.binarySearch(ends, index + 1);
        c = c >= 0 ? c : -c - 1;
        return chunks[c][index - (c == 0 ? 0 : ends[c - 1])];
    }

    @Override
    public int size() {
        return ends.length == 0 ? 0 : ends[ends.length - 1];
    }

    /** The entry with {@code id}, or null. */
    RouteEntry byId(String id) {
        int c = chunkFor(id);
        if (c < 0) {
            return null;
        }
        int i = indexIn(chunks[c], id);
        return i >= 0 ? chunks[c][i] : null;
    }

    /** This list with {@code e} added; its id must not be here ({@link #replacing} replaces). */
    RouteList with(RouteEntry e) {
        if (chunks.length == 0) {
            return new RouteList(new RouteEntry[][] {{e}});
        }
        int c = Math.max(0, chunkFor(e.id()));
        RouteEntry[] chunk = chunks[c];
        int i = indexIn(chunk, e.id());
        if (i >= 0) {
            throw new IllegalArgumentException("route '" + e.id() + "' is already here");
        }
        int at = -i - 1;
        RouteEntry[] next = new RouteEntry[chunk.length + 1];
        System.arraycopy(chunk, 0, next, 0, at);
        next[at] = e;
        System.arraycopy(chunk, at, next, at + 1, chunk.length - at);
        if (next.length <= MAX_CHUNK) {
            return replace(c, next);
        }
        RouteEntry[][] split = new RouteEntry[chunks.length + 1][];
        System.arraycopy(chunks, 0, split, 0, c);
        split[c] = Arrays.copyOfRange(next, 0, next.length / 2);
        split[c + 1] = Arrays.copyOfRange(next, next.length / 2, next.length);
        System.arraycopy(chunks, c + 1, split, c + 2, chunks.length - c - 1);
        return new RouteList(split);
    }

    /**
     * This list with each of {@code entries} in place of the entry of its id, which must be here: the chunk index
     * and each touched chunk are copied once, however many of a chunk's entries change.
     */
    RouteList replacing(List<RouteEntry> entries) {
        if (entries.isEmpty()) {
            return this;
        }
        RouteEntry[][] all = chunks.clone();
        for (RouteEntry e : entries) {
            int c = chunkFor(e.id());
            int i = c < 0 ? -1 : indexIn(chunks[c], e.id());
            if (i < 0) {
                throw new IllegalArgumentException("no route '" + e.id() + "' to replace");
            }
            if (all[c] == chunks[c]) {
                all[c] = chunks[c].clone();
            }
            all[c][i] = e;
        }
        return new RouteList(all, this);
    }

    /** This list without the entry {@code id} (the same list when there is none). */
    RouteList without(String id) {
        int c = chunkFor(id);
        int i = c < 0 ? -1 : indexIn(chunks[c], id);
        if (i < 0) {
            return this;
        }
        RouteEntry[] chunk = chunks[c];
        if (chunk.length == 1) {
            RouteEntry[][] fewer = new RouteEntry[chunks.length - 1][];
            System.arraycopy(chunks, 0, fewer, 0, c);
            System.arraycopy(chunks, c + 1, fewer, c, chunks.length - c - 1);
            return new RouteList(fewer);
        }
        RouteEntry[] next = new RouteEntry[chunk.length - 1];
        System.arraycopy(chunk, 0, next, 0, i);
        System.arraycopy(chunk, i + 1, next, i, chunk.length - i - 1);
        return replace(c, next);
    }

    private RouteList replace(int c, RouteEntry[] chunk) {
        RouteEntry[][] next = chunks.clone();
        next[c] = chunk;
        return new RouteList(next);
    }

    /** The chunk {@code id} belongs in: the last whose first id is not after it; -1 when before all. */
    private int chunkFor(String id) {
        String[] first = firsts;
        int lo = 0;
        int hi = first.length - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (first[mid].compareTo(id) <= 0) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found;
    }

    private static int indexIn(RouteEntry[] chunk, String id) {
        int lo = 0;
        int hi = chunk.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int c = chunk[mid].id().compareTo(id);
            if (c < 0) {
                lo = mid + 1;
            } else if (c > 0) {
                hi = mid - 1;
            } else {
                return mid;
            }
        }
        return -lo - 1;
    }
}
