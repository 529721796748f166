package io.zkgate.gateway.balancer;

/**
 * Hash functions for the consistent-hash ring. Stateless, thread-safe.
 *
 * <p>Keys are hashed with MurmurHash3 (x86, 32-bit) over the String's UTF-16 code units, two per block, without
 * encoding the String to bytes: no allocation, about one multiply-rotate round per two characters, and the same
 * result as Guava's {@code murmur3_32_fixed().hashUnencodedChars}. Ring points come from a 64-bit hash of the
 * instance id fed through the SplitMix64 finalizer, so a point depends on nothing but its own instance.
 */
final class Hashing {
    private static final int C1 = 0xcc9e2d51;
    private static final int C2 = 0x1b873593;
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    private Hashing() {}

    /** MurmurHash3 x86_32 of the UTF-16 code units of {@code s}, seed 0. */
    static int murmur3(String s) {
        int h = 0;
        int len = s.length();
        int i = 0;
        for (; i + 1 < len; i += 2) {
            int k = s.charAt(i) | (s.charAt(i + 1) << 16);
            k *= C1;
            k = Integer.rotateLeft(k, 15);
            k *= C2;
            h ^= k;
            h = Integer.rotateLeft(h, 13);
            h = h * 5 + 0xe6546b64;
        }
        if (i < len) {
            int k = s.charAt(i);
            k *= C1;
            k = Integer.rotateLeft(k, 15);
            k *= C2;
            h ^= k;
        }
        h ^= len * 2; // length in bytes
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        h *= 0xc2b2ae35;
        h ^= h >>> 16;
        return h;
    }

    /** A 64-bit hash of {@code s} (FNV-1a over the chars, then SplitMix64's finalizer); used when building rings. */
    static long hash64(String s) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < s.length(); i++) {
            h = (h ^ s.charAt(i)) * 0x100000001b3L;
        }
        return mix64(h);
    }

    /** The {@code index}-th ring point of an instance whose id hashes to {@code idHash}. */
    static int point(long idHash, int index) {
        return (int) (mix64(idHash + (index + 1L) * GOLDEN) >>> 32);
    }

    /** SplitMix64's finalizer. */
    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
