package io.zkgate.gateway.routing;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * The pools of a snapshot by service name, as a persistent map: the names are spread over {@value #PARTITIONS}
 * partitions, and a change copies only the partitions it touches (and the small partition array), sharing the rest
 * with the map it came from. A partition is a {@code HashMap} that no one changes once its copy is made, so the next
 * change copies it node by node, and it is only handed out read-only. Immutable; reads are a hash and a lookup in
 * one partition.
 */
public final class ServiceMap extends AbstractMap<String, ServicePool> {
    private static final int PARTITION_BITS = 6;
    private static final int PARTITIONS = 1 << PARTITION_BITS;
    private static final ServiceMap EMPTY = new ServiceMap(emptyPartitions(), 0);

    private final Map<String, ServicePool>[] partitions;
    private final int size;
    private Set<Map.Entry<String, ServicePool>> entrySet;

    private ServiceMap(Map<String, ServicePool>[] partitions, int size) {
        this.partitions = partitions;
        this.size = size;
    }

    public static ServiceMap empty() {
        return EMPTY;
    }

    /** This map with {@code put} added or replaced and {@code removed} taken out (a name in both is removed). */
    public ServiceMap with(Map<String, ServicePool> put, Set<String> removed) {
        if (put.isEmpty() && removed.isEmpty()) {
            return this;
        }
        Map<String, ServicePool>[] next = partitions.clone();
        Map<Integer, Map<String, ServicePool>> touched = new HashMap<>();
        put.forEach((name, pool) -> draft(touched, name).put(name, pool));
        removed.forEach(name -> draft(touched, name).remove(name));
        int n = size;
        for (Map.Entry<Integer, Map<String, ServicePool>> t : touched.entrySet()) {
            n += t.getValue().size() - partitions[t.getKey()].size();
            next[t.getKey()] = t.getValue(); // never changed again: the next change copies it
        }
        return new ServiceMap(next, n);
    }

    private Map<String, ServicePool> draft(Map<Integer, Map<String, ServicePool>> touched, String name) {
        int p = partition(name);
        return touched.computeIfAbsent(p, i -> new HashMap<>(partitions[i]));
    }

    @Override
    public ServicePool get(Object key) {
        return key instanceof String s ? partitions[partition(s)].get(s) : null;
    }

    @Override
    public boolean containsKey(Object key) {
        return get(key) != null;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public Set<Map.Entry<String, ServicePool>> entrySet() {
        Set<Map.Entry<String, ServicePool>> s = entrySet;
        if (s == null) {
            s = new AbstractSet<>() {
                @Override
                public Iterator<Map.Entry<String, ServicePool>> iterator() {
                    return new Entries();
                }

                @Override
                public int size() {
                    return size;
                }
            };
            entrySet = s;
        }
        return s;
    }

    /**
     * The top bits of a multiplicative hash: a partition's names then differ in the low bits a {@code HashMap} buckets
     * by (taking those low bits put every name of a partition's working copy into one bucket).
     */
    private static int partition(String name) {
        return (name.hashCode() * 0x9E3779B9) >>> (Integer.SIZE - PARTITION_BITS);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, ServicePool>[] emptyPartitions() {
        Map<String, ServicePool>[] p = new Map[PARTITIONS];
        Arrays.fill(p, Map.of());
        return p;
    }

    /** Walks the partitions in order. */
    private final class Entries implements Iterator<Map.Entry<String, ServicePool>> {
        private int next;
        private Iterator<Map.Entry<String, ServicePool>> current = Collections.emptyIterator();

        @Override
        public boolean hasNext() {
            while (!current.hasNext() && next < PARTITIONS) {
                current = Collections.unmodifiableMap(partitions[next++]).entrySet().iterator();
            }
            return current.hasNext();
        }

        @Override
        public Map.Entry<String, ServicePool> next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            return current.next();
        }
    }
}
